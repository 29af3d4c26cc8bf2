"""The cache every web process shares (login rate limits, used TOTP codes, API counts): a database table by
default, made by `migrate` itself; Redis when REDIS_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
TABLE = "emotipal_cache"
REDIS_URL = os.environ.get("EMOTIPAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SHOW_CACHE = (
    "import django; django.setup(); from django.conf import settings; from django.core.cache import cache; "
    "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])"
)


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


def test_by_default_the_cache_is_a_database_table(tmp_path: Path) -> None:
    out = _settings_process(SHOW_CACHE, {}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["django.core.cache.backends.db.DatabaseCache", TABLE]


def test_with_redis_url_the_cache_is_redis(tmp_path: Path) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("EMOTIPAL_REQUIRE_SERVICES"):
            raise
        pytest.skip(
            f"Redis is not reachable at {REDIS_URL} (CI sets EMOTIPAL_REQUIRE_SERVICES and requires it)"
        )
    key = f"shared-cache-test-{uuid.uuid4().hex}"
    code = f"{SHOW_CACHE}; cache.set({key!r}, 'seen', 30); print(cache.get({key!r})); cache.delete({key!r})"
    out = _settings_process(code, {"REDIS_URL": REDIS_URL}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["django.core.cache.backends.redis.RedisCache", REDIS_URL, "seen"]


def test_migrate_makes_the_cache_table(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")
    assert TABLE not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert TABLE in connection.introspection.table_names()
    cache.set("after-migrate", 42)
    assert cache.get("after-migrate") == 42


def test_sessions_are_in_the_database_and_read_through_redis_when_there_is_one(tmp_path: Path) -> None:
    """Sessions stay in the database (a Redis restart logs nobody out); with Redis they are read through it,
    a query less on every request. Never in process memory: any web process serves any session."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)"
    alone = _settings_process(code, {}, tmp_path)
    with_redis = _settings_process(code, {"REDIS_URL": REDIS_URL}, tmp_path)
    assert alone.returncode == 0 and with_redis.returncode == 0, alone.stderr + with_redis.stderr
    assert alone.stdout.strip() == "django.contrib.sessions.backends.db"
    assert with_redis.stdout.strip() == "django.contrib.sessions.backends.cached_db"
