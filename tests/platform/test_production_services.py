"""Production refuses to start without PostgreSQL and Redis (DATABASE_URL, REDIS_URL) unless the install says it
is one machine on purpose (EMOTIPAL_SINGLE_MACHINE=1); `emotipal check` says why and exits non-zero."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from emotipal.platform import config
from emotipal.platform.config import _new_vapid_key

ROOT = Path(__file__).resolve().parents[2]


def emotipal(args: list[str], env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """The real command line in a clean production environment: nothing of the caller's leaks in."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "DJANGO_"))
    }
    base = {
        "EMOTIPAL_ENV": "production",
        "EMOTIPAL_SECRET_KEY": secrets.token_urlsafe(48),
        "EMOTIPAL_FIELD_KEYS": Fernet.generate_key().decode(),
        "EMOTIPAL_VAPID_PRIVATE_KEY": _new_vapid_key(),
        "EMOTIPAL_ALLOWED_HOSTS": "emotipal.example.org",
        "EMOTIPAL_SITE_URL": "https://emotipal.example.org",
        "EMOTIPAL_LOCAL_DIR": str(tmp),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-m", "emotipal.cli", *args],
        env=inherited | base | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_refuses_production_without_database_and_redis(tmp_path: Path) -> None:
    done = emotipal(["check"], {}, tmp_path)
    assert done.returncode != 0, done.stdout
    assert "DATABASE_URL is not set" in done.stderr and "REDIS_URL is not set" in done.stderr
    # How to fix it, either way.
    assert "postgres://" in done.stderr and "EMOTIPAL_SINGLE_MACHINE=1" in done.stderr
    # The reason alone, not a traceback through Django's settings loader.
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "db.sqlite3").exists()


def test_check_refuses_a_sqlite_database_url_and_a_missing_redis(tmp_path: Path) -> None:
    done = emotipal(["check"], {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}, tmp_path)
    assert done.returncode != 0
    assert "SQLite" in done.stderr and "REDIS_URL is not set" in done.stderr
    assert "DATABASE_URL is not set" not in done.stderr


def test_check_passes_for_a_single_machine_install_or_with_both_services(tmp_path: Path) -> None:
    single = emotipal(["check"], {"EMOTIPAL_SINGLE_MACHINE": "1"}, tmp_path)
    assert single.returncode == 0, single.stderr
    # `check` opens no connection, so the servers need not be there for the settings to be accepted.
    services = {
        "DATABASE_URL": "postgres://emotipal@127.0.0.1:5432/emotipal",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    both = emotipal(["check"], services, tmp_path)
    assert both.returncode == 0, both.stderr


def test_serve_production_refuses_outside_production_mode(tmp_path: Path) -> None:
    done = emotipal(["serve", "--production"], {"EMOTIPAL_ENV": "development"}, tmp_path)
    assert done.returncode == 2 and "EMOTIPAL_ENV=production" in done.stderr


@pytest.mark.parametrize(
    ("database_url", "redis_url", "single", "refused"),
    [
        ("", "", "", True),
        ("postgres://h/db", "", "", True),
        ("", "redis://h/0", "", True),
        ("sqlite:////srv/db.sqlite3", "redis://h/0", "", True),
        ("postgres://h/db", "redis://h/0", "", False),
        ("", "", "1", False),
        ("sqlite:////srv/db.sqlite3", "", "yes", False),
        ("", "", "0", True),
    ],
)
def test_the_rule(
    monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, single: str, refused: bool
) -> None:
    monkeypatch.setenv("EMOTIPAL_SINGLE_MACHINE", single)
    if refused:
        with pytest.raises(ImproperlyConfigured, match="Production mode refuses to start"):
            config.check_production_services("production", database_url, redis_url)
    else:
        config.check_production_services("production", database_url, redis_url)
    # Outside production nothing is asked for: the demo runs on SQLite with one command.
    config.check_production_services("development", database_url, redis_url)


def test_a_typo_in_the_single_machine_switch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMOTIPAL_SINGLE_MACHINE", "ture")
    with pytest.raises(ImproperlyConfigured, match="EMOTIPAL_SINGLE_MACHINE"):
        config.check_production_services("production", "", "")


def test_production_needs_an_https_site_url_for_its_links(tmp_path: Path) -> None:
    single = {"EMOTIPAL_SINGLE_MACHINE": "1"}
    unset = emotipal(["check"], single | {"EMOTIPAL_SITE_URL": ""}, tmp_path)
    assert unset.returncode != 0 and "EMOTIPAL_SITE_URL" in unset.stderr and "Traceback" not in unset.stderr
    plain = emotipal(["check"], single | {"EMOTIPAL_SITE_URL": "http://emotipal.example.org"}, tmp_path)
    assert plain.returncode != 0 and "https://" in plain.stderr
