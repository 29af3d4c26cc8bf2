"""/readyz: 200 when the database, Redis (when configured) and the task queue are fine, 503 with the failing
check named otherwise; never an error's text; answered over plain HTTP in production (no SSL redirect)."""

from __future__ import annotations

import datetime as dt
import json
import socket
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.platform import health


def _late_task(minutes: int) -> None:
    DBTaskResult.objects.create(
        task_path="emotipal.notifications.tasks.send_reminder",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=timezone.now() - dt.timedelta(minutes=minutes),
        exception_class_path="",
        traceback="",
    )


def test_ready_with_the_database_queue(db: Any, client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "redis": "not configured",
            "tasks": {"state": "ok", "late": 0, "limit": 1000},
        },
    }
    assert "no-store" in response["Cache-Control"]


def test_a_backlog_over_the_limit_is_not_ready_and_fresh_tasks_do_not_count(db: Any, client: Client) -> None:
    _late_task(minutes=5)
    _late_task(minutes=5)
    DBTaskResult.objects.create(
        task_path="x.y",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=timezone.now() - dt.timedelta(seconds=5),  # just due: queued, not late
        exception_class_path="",
        traceback="",
    )
    with override_settings(READY_MAX_BACKLOG=2):
        assert client.get("/readyz").status_code == 200
    with override_settings(READY_MAX_BACKLOG=1):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["tasks"] == {"state": "behind", "late": 2, "limit": 1}


def test_a_database_that_does_not_answer_is_not_ready(
    db: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def cursor(self) -> Any:
            raise DatabaseError("could not connect to server at db.internal user=emotipal password=hunter2")

    monkeypatch.setattr(health, "connection", Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"
    assert "hunter2" not in response.content.decode() and "db.internal" not in response.content.decode()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_redis_that_does_not_answer_is_not_ready_and_its_url_is_not_shown(db: Any, client: Client) -> None:
    url = f"redis://:s3cretpass@127.0.0.1:{_closed_port()}/0"
    with override_settings(REDIS_URL=url):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"] == "failed" and body["checks"]["tasks"] == {"state": "unknown"}
    assert "s3cretpass" not in response.content.decode()


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_ready_with_redis_counts_the_rq_queue(db: Any, client: Client) -> None:
    import redis
    from rq import Queue

    url = "redis://127.0.0.1:6379/14"  # a database of its own: the count is ours alone
    connection = redis.Redis.from_url(url)
    queue = Queue("default", connection=connection)
    queue.empty()
    try:
        with override_settings(REDIS_URL=url, READY_MAX_BACKLOG=1):
            assert client.get("/readyz").json()["checks"]["tasks"]["late"] == 0
            queue.enqueue("os.getcwd")
            queue.enqueue("os.getcwd")
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "ok",
            "redis": "ok",
            "tasks": {"state": "behind", "late": 2, "limit": 1},
        }
    finally:
        queue.empty()
        connection.close()


def test_the_command_prints_the_same_and_fails_when_not_ready(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("readiness")
    assert json.loads(capsys.readouterr().out)["status"] == "ready"
    _late_task(minutes=5)
    with override_settings(READY_MAX_BACKLOG=0), pytest.raises(CommandError, match="not ready"):
        call_command("readiness")


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$", r"^readyz$"])
def test_health_checks_are_not_redirected_to_https_but_pages_are(db: Any, client: Client) -> None:
    # Production's own settings are checked through a real server in tests/platform/test_serve_production.py.
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


@override_settings(ALLOWED_HOSTS=["emotipal.example.org"])
def test_probes_at_the_process_own_address_are_answered_pages_there_are_not(db: Any, client: Client) -> None:
    # A load balancer probes http://10.0.3.7:8000/healthz: that Host is rightly not allowed for pages.
    for probe in ("/healthz", "/readyz"):
        response = client.get(probe, HTTP_HOST="10.0.3.7:8000")
        assert response.status_code == 200, probe
        assert "no-cache" in response["Cache-Control"] and not response.cookies
    assert client.get("/accounts/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="emotipal.example.org").status_code == 200
    assert client.post("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 405  # read-only, like before
