"""Tasks queued on RQ reuse the process's Redis connections (emotipal/platform/rq_queues.py): django-rq's own
queue settings opened a new TCP connection for every task queued."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.test import override_settings

from emotipal.platform.rq_queues import rq_queues
from tests.notifications.test_reminders import redis_or_skip

TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
QUEUED = 30
# A database of its own: each test here empties it, and test_reminders.py (on 15) may run beside this file.
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every TCP connection this process opens to Redis (the real connect, counted)."""
    redis_or_skip()
    made: list[int] = []
    real = redis.connection.AbstractConnection.connect

    def counted(self: Any) -> None:
        if self._sock is None:  # connect() is called again on an open connection, and returns at once
            made.append(1)
        real(self)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counted)
    yield made


def queue_tasks(queues: dict[str, Any]) -> int:
    """QUEUED tasks through the Tasks API on RQ with these queue settings; the jobs then in the queue."""
    import django_rq

    from emotipal.measures.tasks import questionnaire_maintenance

    with override_settings(RQ_QUEUES=queues, TASKS=TASKS):
        queue = django_rq.get_queue("default")
        queue.connection.flushdb()
        for _ in range(QUEUED):
            questionnaire_maintenance.enqueue(None)
        waiting = int(django_rq.get_queue("default").count)
        queue.connection.flushdb()
    return waiting


def test_queued_tasks_share_one_connection(db: None, connects: list[int]) -> None:
    assert queue_tasks(rq_queues(REDIS_URL, default_timeout=60)) == QUEUED
    assert len(connects) == 1


def test_django_rq_s_own_url_setting_connects_once_per_task(db: None, connects: list[int]) -> None:
    # What the pool is for; if django-rq ever keeps its connections itself, this fails and rq_queues can go.
    assert queue_tasks({"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}}) == QUEUED
    assert len(connects) >= QUEUED


def test_the_settings_queue_names_the_server_of_its_url() -> None:
    queue = rq_queues("rediss://:secret@cache.example.org:6380/3", default_timeout=600)["default"]
    assert (queue["HOST"], queue["PORT"], queue["DB"], queue["DEFAULT_TIMEOUT"]) == (
        "cache.example.org",
        6380,
        3,
        600,
    )
    pool = queue["REDIS_CLIENT_KWARGS"]["connection_pool"]
    assert pool.connection_class is redis.SSLConnection and pool.connection_kwargs["password"] == "secret"


def test_the_project_s_queue_is_on_a_pool() -> None:
    from django.conf import settings

    assert isinstance(
        settings.RQ_QUEUES["default"]["REDIS_CLIENT_KWARGS"]["connection_pool"], redis.ConnectionPool
    )
