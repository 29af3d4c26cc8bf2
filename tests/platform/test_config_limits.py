"""The login and API limits' settings: whole numbers and rates, read with their defaults; anything else
refuses to start with a message that names the variable and the value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from emotipal.platform import config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("", 5), ("  ", 5), ("1", 1), (" 12 ", 12)])
def test_whole_numbers_read_with_their_default(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_LIMIT", raw)
    assert config.env_int("EMOTIPAL_SOME_LIMIT", 5) == expected


@pytest.mark.parametrize(
    ("raw", "problem"), [("five", "a whole number"), ("2.5", "a whole number"), ("0", "at least 1")]
)
def test_whole_numbers_refuse_what_is_not_one(
    monkeypatch: pytest.MonkeyPatch, raw: str, problem: str
) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_LIMIT", raw)
    with pytest.raises(ImproperlyConfigured, match=f"EMOTIPAL_SOME_LIMIT must be {problem}"):
        config.env_int("EMOTIPAL_SOME_LIMIT", 5)


@pytest.mark.parametrize("raw", ["120/m", "10/5m", "1/s", "1000/2h", "50000/d"])
def test_rates_read(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_RATE", raw)
    assert config.env_rate("EMOTIPAL_SOME_RATE", "1/m") == raw


@pytest.mark.parametrize("raw", ["120", "120/minute", "0/m", "10/0m", "-1/m", "ten/m", "120/m/ip"])
def test_rates_refuse_what_they_do_not_understand(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("EMOTIPAL_SOME_RATE", raw)
    with pytest.raises(
        ImproperlyConfigured, match="EMOTIPAL_SOME_RATE must be a rate such as 120/m"
    ) as caught:
        config.env_rate("EMOTIPAL_SOME_RATE", "1/m")
    assert repr(raw) in str(caught.value)


def test_the_settings_refuse_to_start_with_a_bad_limit_or_rate(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMOTIPAL_", "DJANGO_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "emotipal.platform.settings",
        "EMOTIPAL_LOCAL_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    for name, value, message in [
        ("EMOTIPAL_LOGIN_FAILURE_LIMIT", "0", "EMOTIPAL_LOGIN_FAILURE_LIMIT must be at least 1"),
        ("EMOTIPAL_API_RATE_TOKEN", "lots", "EMOTIPAL_API_RATE_TOKEN must be a rate such as 120/m"),
    ]:
        out = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            env=env | {name: value},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode != 0 and message in out.stderr
