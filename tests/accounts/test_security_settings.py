"""Settings from the environment, and production mode's refusals. Runs settings in fresh processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from emotipal.platform.config import _new_vapid_key

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x" * 30 + "-production-secret-not-a-demo-0123456789"


def run(code: str, env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    base |= {
        "DJANGO_SETTINGS_MODULE": "emotipal.platform.settings",
        "EMOTIPAL_LOCAL_DIR": str(tmp),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=base | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


SETUP = "import django; django.setup(); from django.conf import settings; "


def test_demo_generates_local_secrets_and_uses_sqlite_and_argon2(tmp_path: Path) -> None:
    out = run(
        SETUP
        + "print(settings.SECRET_KEY[:14], settings.DATABASES['default']['ENGINE'], settings.PASSWORD_HASHERS[0], settings.TASKS['default']['BACKEND'])",
        {},
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "demo-insecure-",
        "django.db.backends.sqlite3",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django_tasks_db.DatabaseBackend",
    ]
    assert (tmp_path / "secret_key").exists() and (tmp_path / "field_keys").exists()


def test_database_and_redis_urls(tmp_path: Path) -> None:
    out = run(
        SETUP + "print(settings.DATABASES['default']['ENGINE'], settings.TASKS['default']['BACKEND'])",
        {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/3"},
        tmp_path,
    )
    assert out.stdout.split() == ["django.db.backends.postgresql", "django_tasks_rq.RQBackend"], out.stderr


def test_production_refuses_demo_secret_and_debug(tmp_path: Path) -> None:
    keys = Fernet.generate_key().decode()
    prod = {
        "EMOTIPAL_ENV": "production",
        "EMOTIPAL_FIELD_KEYS": keys,
        "EMOTIPAL_ALLOWED_HOSTS": "emotipal.example.org",
        "EMOTIPAL_SINGLE_MACHINE": "1",
    }
    no_secret = run(SETUP, prod, tmp_path)
    assert no_secret.returncode != 0 and "EMOTIPAL_SECRET_KEY" in no_secret.stderr
    demo_secret = run(SETUP, prod | {"EMOTIPAL_SECRET_KEY": "demo-insecure-" + "a" * 60}, tmp_path)
    assert demo_secret.returncode != 0 and "not a demo key" in demo_secret.stderr
    debug = run(SETUP, prod | {"EMOTIPAL_SECRET_KEY": GOOD_SECRET, "EMOTIPAL_DEBUG": "1"}, tmp_path)
    assert debug.returncode != 0 and "DEBUG" in debug.stderr
    no_keys = run(
        SETUP,
        {k: v for k, v in prod.items() if k != "EMOTIPAL_FIELD_KEYS"} | {"EMOTIPAL_SECRET_KEY": GOOD_SECRET},
        tmp_path,
    )
    assert no_keys.returncode != 0 and "EMOTIPAL_FIELD_KEYS" in no_keys.stderr


def test_check_deploy_passes_in_production(tmp_path: Path) -> None:
    env = {
        "EMOTIPAL_ENV": "production",
        # SQLite in tmp_path: this checks the settings, not the services (tests/platform/test_production_services.py).
        "EMOTIPAL_SINGLE_MACHINE": "1",
        "EMOTIPAL_SITE_URL": "https://emotipal.example.org",
        "EMOTIPAL_SECRET_KEY": GOOD_SECRET,
        "EMOTIPAL_FIELD_KEYS": Fernet.generate_key().decode(),
        "EMOTIPAL_ALLOWED_HOSTS": "emotipal.example.org",
        "EMOTIPAL_VAPID_PRIVATE_KEY": _new_vapid_key(),
    }
    out = run(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        env,
        tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
