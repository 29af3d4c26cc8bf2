"""Configuration read from the environment, kept apart from settings.py so it can be tested.

The demo must start with one command, so secrets that are missing outside production are generated once and
kept in `.local/` (ignored by git). Production refuses to start with such demo secrets.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

DEMO_SECRET_PREFIX = "demo-insecure-"  # noqa: S105 (a marker to refuse, not a secret)  # nosec B105
# A random 50-character key has about 30 different characters, 32 random bytes about 30 different bytes;
# far fewer means a key typed by hand or a pattern.
MIN_DISTINCT_CHARACTERS = 16
MIN_DISTINCT_BYTES = 16
MIN_SECRET_LENGTH = 50


def environment() -> str:
    value = os.environ.get("EMOTIPAL_ENV", "development").strip().lower()
    if value not in {"development", "production", "test"}:
        raise ImproperlyConfigured(f"EMOTIPAL_ENV must be development, production or test, not {value!r}")
    return value


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    # A typo such as EMOTIPAL_DEBUG=ture must not silently mean "off" (or, for a safety switch, "on").
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off (or unset for the default), not {raw!r}"
    )


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


# "120/m": 120 requests a minute; "1000/2h": 1000 every two hours. Units s, m, h, d. A subset of what
# ninja's throttles parse, checked here so that a typo refuses to start instead of failing each request.
_RATE = re.compile(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]")


def env_rate(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not _RATE.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 120/m (requests per s, m, h or d; 10/5m is ten per five "
            f"minutes), not {raw!r}"
        )
    return raw


def env_secret(name: str, default: str = "") -> str:
    """A secret from the variable NAME or from the file named by NAME_FILE (Docker/Kubernetes secrets).

    The file's trailing newline is stripped (editors and `echo` add one). Both set at once is ambiguous,
    so it is refused rather than one silently winning.
    """
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE", "").strip()
    if not file_name:
        return default if value is None else value
    if value is not None and value.strip():
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    path = Path(file_name)
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(f"{name}_FILE names {file_name!r}, which does not exist.") from exc
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE names {file_name!r}, which cannot be read: {exc}") from exc
    return text.rstrip("\r\n")


def _local_file(local_dir: Path, name: str, make: str) -> str:
    """Read a generated demo secret, creating it on first use."""
    local_dir.mkdir(parents=True, exist_ok=True)
    path = local_dir / name
    if not path.exists():
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


def secret_key(env: str, local_dir: Path) -> str:
    key = env_secret("EMOTIPAL_SECRET_KEY").strip()
    if env == "production":
        if not key or key.startswith(DEMO_SECRET_PREFIX) or len(key) < MIN_SECRET_LENGTH:
            raise ImproperlyConfigured(
                "Production mode needs EMOTIPAL_SECRET_KEY: a random value of at least "
                f"{MIN_SECRET_LENGTH} characters that is not a demo key."
            )
        if len(set(key)) < MIN_DISTINCT_CHARACTERS:
            raise ImproperlyConfigured(
                "EMOTIPAL_SECRET_KEY looks typed, not random (too few different characters): generate one, "
                'for example with python -c "import secrets; print(secrets.token_urlsafe(50))".'
            )
        return key
    return key or _local_file(local_dir, "secret_key", DEMO_SECRET_PREFIX + secrets.token_urlsafe(48))


def field_keys(env: str, local_dir: Path) -> list[str]:
    """Fernet keys for encrypted fields: the first encrypts, all decrypt (rotation, see README)."""
    raw = env_secret("EMOTIPAL_FIELD_KEYS").strip()
    if not raw:
        if env == "production":
            raise ImproperlyConfigured(
                "Production mode needs EMOTIPAL_FIELD_KEYS (comma-separated Fernet keys)."
            )
        raw = _local_file(local_dir, "field_keys", Fernet.generate_key().decode())
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError as exc:
            raise ImproperlyConfigured("EMOTIPAL_FIELD_KEYS holds a value that is not a Fernet key") from exc
    if env == "production":
        _refuse_weak_keys("EMOTIPAL_FIELD_KEYS", keys, local_dir)
    return keys


def backup_keys(env: str, local_dir: Path, field_keys: list[str]) -> list[str]:
    """Keys of `emotipal backup` and `restore` (EMOTIPAL_BACKUP_KEY): the first encrypts, all decrypt, so
    backups made before a new key was put first still restore. Read by those two commands only, so the web
    processes need not hold it; never generated (a backup under a key kept beside the data protects nothing).

    Each is a Fernet-format key (URL-safe base64 of 32 random bytes), and none may be a field key: one leaked
    key would then open both the backup and the fields inside it."""
    raw = env_secret("EMOTIPAL_BACKUP_KEY").strip()
    if not raw:
        raise ImproperlyConfigured(
            "EMOTIPAL_BACKUP_KEY is not set: backups are encrypted with a key of their own. Generate one with "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" '
            "and keep it apart from the backups and from EMOTIPAL_FIELD_KEYS."
        )
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError as exc:
            raise ImproperlyConfigured(
                "EMOTIPAL_BACKUP_KEY holds a value that is not a key (URL-safe base64 of 32 bytes, as "
                "Fernet.generate_key() makes)."
            ) from exc
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured("EMOTIPAL_BACKUP_KEY holds the same key twice.")
    if set(keys) & set(field_keys):
        raise ImproperlyConfigured(
            "EMOTIPAL_BACKUP_KEY holds a key that is also in EMOTIPAL_FIELD_KEYS: give backups a key of their "
            "own, so one leaked key does not open both the backup and the fields inside it."
        )
    if env == "production":
        _refuse_weak_keys("EMOTIPAL_BACKUP_KEY", keys, local_dir)
    return keys


def _refuse_weak_keys(name: str, keys: list[str], local_dir: Path) -> None:
    """A key made by hand (few different bytes) or the demo's own key, copied from its local file, would
    protect nothing: production refuses both."""
    demo_file = local_dir / "field_keys"
    demo = {k.strip() for k in demo_file.read_text().split(",")} if demo_file.is_file() else set()
    for key in keys:
        if key in demo:
            raise ImproperlyConfigured(
                f"{name} holds the demo's key (from the local folder): generate a new one."
            )
        if len(set(base64.urlsafe_b64decode(key))) < MIN_DISTINCT_BYTES:
            raise ImproperlyConfigured(
                f"{name} holds a key that is not random: generate one with Fernet.generate_key()."
            )


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from the header a trusted proxy sets ("X-Forwarded-Proto"), or None. Only a
    deployment behind such a proxy may trust the header: set anywhere else, a client could claim https."""
    name = value.strip()
    if not name:
        return None
    if not all(c.isalnum() or c == "-" for c in name):
        raise ImproperlyConfigured(f"EMOTIPAL_PROXY_SSL_HEADER is not a header name: {name!r}")
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


def api_token_days(default_text: str, most_text: str) -> tuple[int, int]:
    """(EMOTIPAL_API_TOKEN_DAYS, EMOTIPAL_API_TOKEN_MAX_DAYS): whole days, 1 <= default <= most."""
    try:
        default, most = int(default_text), int(most_text)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"EMOTIPAL_API_TOKEN_DAYS and EMOTIPAL_API_TOKEN_MAX_DAYS must be whole numbers of days, "
            f"not {default_text!r} and {most_text!r}"
        ) from exc
    if not 1 <= default <= most:
        raise ImproperlyConfigured(
            "EMOTIPAL_API_TOKEN_DAYS must be at least 1 and at most EMOTIPAL_API_TOKEN_MAX_DAYS "
            f"(now {default} and {most})"
        )
    return default, most


def check_production_debug(env: str, debug: bool) -> None:
    if env == "production" and debug:
        raise ImproperlyConfigured("Production mode refuses to run with DEBUG on (unset EMOTIPAL_DEBUG).")


def vapid_private_key(env: str, local_dir: Path) -> str:
    """The VAPID (web push) private key: base64url of the raw P-256 scalar, as py_vapid reads it.

    Production must set EMOTIPAL_VAPID_PRIVATE_KEY: a key generated per machine would make every browser's
    subscription invalid on the next machine behind the load balancer."""
    raw = env_secret("EMOTIPAL_VAPID_PRIVATE_KEY").strip()
    if raw:
        return raw
    if env == "production":
        raise ImproperlyConfigured("Production mode needs EMOTIPAL_VAPID_PRIVATE_KEY (web push reminders).")
    return _local_file(local_dir, "vapid_private_key", _new_vapid_key())


def _new_vapid_key() -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(scalar.to_bytes(32, "big")).decode().rstrip("=")


def vapid_public_key(private_key: str) -> str:
    """The public key a browser passes to pushManager.subscribe (applicationServerKey): base64url, X9.62."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


SINGLE_MACHINE = "EMOTIPAL_SINGLE_MACHINE"


def check_production_services(env: str, database_url: str, redis_url: str) -> None:
    """Production runs on PostgreSQL (DATABASE_URL) with RQ and the shared cache on Redis (REDIS_URL): without
    them it would fall back, silently, to a SQLite file and a database queue on this machine's disk, which a
    second web machine cannot share. An install that is one machine on purpose says so with
    EMOTIPAL_SINGLE_MACHINE=1."""
    if env != "production" or env_bool(SINGLE_MACHINE, default=False):
        return
    missing = [
        name for name, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)) if not value
    ]
    problems = [f"{name} is not set" for name in missing]
    if database_url.startswith("sqlite:"):
        problems.append("DATABASE_URL names a SQLite file, which only one machine can use")
    if problems:
        raise ImproperlyConfigured(
            "Production mode refuses to start: "
            + "; ".join(problems)
            + ". Set DATABASE_URL to a PostgreSQL database (postgres://USER:PASSWORD@HOST:5432/NAME) and "
            "REDIS_URL to a Redis server (redis://HOST:6379/0), see docs/deploy.md; or, for an install that "
            f"is one machine on purpose (SQLite and the database task queue on its disk), set {SINGLE_MACHINE}=1."
        )


def check_production_site_url(env: str, raw: str | None) -> None:
    """Every link the platform sends (invitations, reminders, password resets, calendar feeds) starts with
    EMOTIPAL_SITE_URL. Unset, production would send links to 127.0.0.1:8000 without a word; over plain http,
    links that carry one-time tokens would cross the network readable."""
    if env != "production":
        return
    value = (raw or "").strip()
    if not value:
        raise ImproperlyConfigured(
            "Production mode needs EMOTIPAL_SITE_URL, the address people open (https://emotipal.example.org): "
            "every e-mailed link starts with it."
        )
    if not value.startswith("https://"):
        raise ImproperlyConfigured(
            f"EMOTIPAL_SITE_URL must start with https:// in production (now {value!r}): e-mailed links carry "
            "one-time tokens."
        )


def log_format(production: bool) -> str:
    """EMOTIPAL_LOG_FORMAT: json (production's default: one JSON object a line) or text (elsewhere)."""
    value = os.environ.get("EMOTIPAL_LOG_FORMAT", "").strip().lower() or ("json" if production else "text")
    if value not in {"json", "text"}:
        raise ImproperlyConfigured(f"EMOTIPAL_LOG_FORMAT must be json or text, not {value!r}")
    return value
