"""Configuration refuses what it does not understand, and reads secrets from `*_FILE` paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from emotipal.platform import config

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = [
    "EMOTIPAL_SECRET_KEY",
    "EMOTIPAL_FIELD_KEYS",
    "DATABASE_URL",
    "EMAIL_HOST_PASSWORD",
    "REDIS_URL",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_bool_accepts_the_documented_values(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_SWITCH", raw)
    assert config.env_bool("EMOTIPAL_SOME_SWITCH", default=not expected) is expected


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_env_bool_unset_or_empty_is_the_default(monkeypatch: pytest.MonkeyPatch, raw: str | None) -> None:
    if raw is None:
        monkeypatch.delenv("EMOTIPAL_SOME_SWITCH", raising=False)
    else:
        monkeypatch.setenv("EMOTIPAL_SOME_SWITCH", raw)
    assert config.env_bool("EMOTIPAL_SOME_SWITCH", default=True) is True
    assert config.env_bool("EMOTIPAL_SOME_SWITCH", default=False) is False


@pytest.mark.parametrize("raw", ["ture", "enabled", "2", "y", "debug"])
def test_env_bool_refuses_other_values(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_SWITCH", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        config.env_bool("EMOTIPAL_SOME_SWITCH", default=False)
    message = str(caught.value)
    assert "EMOTIPAL_SOME_SWITCH" in message and repr(raw) in message
    for accepted in ("1/0", "true/false", "yes/no", "on/off"):
        assert accepted in message


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_from_file_strips_the_trailing_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret value\n")
    monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(f"{name}_FILE", str(secret))
    assert config.env_secret(name) == "s3cret value"


def test_secret_from_the_variable_when_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL_FILE", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://x:6379/1")
    assert config.env_secret("REDIS_URL") == "redis://x:6379/1"
    monkeypatch.delenv("REDIS_URL")
    assert config.env_secret("REDIS_URL", "fallback") == "fallback"


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_and_its_file_both_set_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv(name, "from-variable")
    monkeypatch.setenv(f"{name}_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured, match=f"{name} or {name}_FILE, not both"):
        config.env_secret(name)


def test_missing_secret_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    monkeypatch.delenv("EMAIL_HOST_PASSWORD", raising=False)
    monkeypatch.setenv("EMAIL_HOST_PASSWORD_FILE", str(missing))
    with pytest.raises(ImproperlyConfigured, match=r"EMAIL_HOST_PASSWORD_FILE.*does not exist"):
        config.env_secret("EMAIL_HOST_PASSWORD")


def test_secret_key_and_field_keys_read_their_files_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key, fernet = (
        Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        Fernet.generate_key().decode(),
    )
    (tmp_path / "sk").write_text(key + "\n")
    (tmp_path / "fk").write_text(fernet + "\n")
    monkeypatch.delenv("EMOTIPAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("EMOTIPAL_FIELD_KEYS", raising=False)
    monkeypatch.setenv("EMOTIPAL_SECRET_KEY_FILE", str(tmp_path / "sk"))
    monkeypatch.setenv("EMOTIPAL_FIELD_KEYS_FILE", str(tmp_path / "fk"))
    local = tmp_path / "local"
    assert config.secret_key("production", local) == key
    assert config.field_keys("production", local) == [fernet]
    assert not local.exists()  # nothing generated: the files were used


def _settings_process(code: str, env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "DJANGO_"))
    }
    base |= {
        "DJANGO_SETTINGS_MODULE": "emotipal.platform.settings",
        "EMOTIPAL_LOCAL_DIR": str(tmp),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=base | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_settings_read_database_redis_and_mail_secrets_from_files(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("postgres://u:pw@db.invalid:5432/clinic\n")
    (tmp_path / "redis").write_text("redis://cache.invalid:6379/2\n")
    (tmp_path / "mail").write_text("mail-password\n")
    out = _settings_process(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['HOST'], s.DATABASES['default']['PASSWORD'], s.REDIS_URL, "
        "s.EMAIL_HOST_PASSWORD)",
        {
            "DATABASE_URL_FILE": str(tmp_path / "db"),
            "REDIS_URL_FILE": str(tmp_path / "redis"),
            "EMAIL_HOST": "smtp.invalid",
            "EMAIL_HOST_PASSWORD_FILE": str(tmp_path / "mail"),
        },
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["db.invalid", "pw", "redis://cache.invalid:6379/2", "mail-password"]


def test_settings_refuse_an_unrecognised_debug_value(tmp_path: Path) -> None:
    out = _settings_process("import django; django.setup()", {"EMOTIPAL_DEBUG": "ture"}, tmp_path)
    assert out.returncode != 0
    assert "EMOTIPAL_DEBUG must be one of 1/0, true/false, yes/no, on/off" in out.stderr
