"""`load_demo` refuses under EMOTIPAL_ENV=production: a clear message, a non-zero exit, nothing loaded."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from emotipal.accounts.models import Clinic, User
from emotipal.library.models import ExerciseTemplate
from emotipal.measures.models import Instrument
from emotipal.platform.config import _new_vapid_key

REPO = Path(__file__).resolve().parents[2]


def test_call_command_refuses_in_production_and_writes_nothing(db: Any) -> None:
    # settings.PRODUCTION is what settings.py derives from EMOTIPAL_ENV, and what the command reads.
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="EMOTIPAL_ENV=production"):
        call_command("load_demo", clients=3, seed=1)
    assert not User.objects.exists()
    assert not Clinic.objects.exists()
    # Not even the library or the questionnaires: the refusal comes before any write.
    assert not ExerciseTemplate.objects.exists()
    assert not Instrument.objects.exists()


def test_emotipal_load_demo_exits_non_zero_under_production_env(tmp_path: Path) -> None:
    """The real command line, with a production environment built from the variables, as an operator runs it."""
    # Start from a clean slate: a DATABASE_URL_FILE (or similar) in the caller's environment must not leak in.
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "DJANGO_"))
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "emotipal.platform.settings",
        "EMOTIPAL_ENV": "production",
        "EMOTIPAL_SECRET_KEY": secrets.token_urlsafe(48),
        "EMOTIPAL_FIELD_KEYS": Fernet.generate_key().decode(),
        "EMOTIPAL_VAPID_PRIVATE_KEY": _new_vapid_key(),
        "EMOTIPAL_DEBUG": "",
        "EMOTIPAL_LOCAL_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "EMOTIPAL_SINGLE_MACHINE": "1",  # a SQLite file: one machine, on purpose
        "EMOTIPAL_SITE_URL": "https://emotipal.example.org",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "emotipal.cli", "load_demo", "--clients", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    assert "refuses to run with EMOTIPAL_ENV=production" in done.stderr
    assert "Nothing was loaded" in done.stderr
    # The command never got as far as opening (and so creating) the database file.
    assert "demo clinic" not in done.stdout
    assert not (tmp_path / "prod.sqlite3").exists() or (tmp_path / "prod.sqlite3").stat().st_size == 0
