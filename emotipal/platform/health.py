"""Health (/healthz) and readiness (/readyz): may a load balancer send this web process requests?

/healthz stays bare, one query: it says the process answers, and it is the benchmarks' floor.
/readyz says whether what a request needs answers too: the database, Redis when REDIS_URL is set, and a task
queue that the workers keep up with (tasks due for over a minute and not started: more than
EMOTIPAL_READY_MAX_BACKLOG means the workers are down or far behind, and reminders go out late).

The body names each check and its state, never an error's text: a connection error can quote a host, a user
or a URL, and /readyz answers anyone. The error goes to the log instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from rq import Queue

from emotipal.platform import clock

log = logging.getLogger(__name__)

# A task due this long ago and not started is late; younger ones are just queued.
GRACE = dt.timedelta(minutes=1)
REDIS_TIMEOUT_SECONDS = 2.0


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        log.warning("readiness: the database does not answer", exc_info=True)
        return False
    return True


def _redis() -> redis.Redis:
    # Its own short timeouts: RQ's connection waits as long as the kernel does, longer than a probe's timeout.
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


def redis_backlog() -> int | None:
    """Jobs waiting in RQ's default queue (due and not started), or None when Redis does not answer."""
    client = _redis()
    try:
        client.ping()
        return int(Queue("default", connection=client).count)
    except redis.RedisError:
        log.warning("readiness: Redis does not answer", exc_info=True)
        return None
    finally:
        client.close()


def database_backlog() -> int | None:
    """Tasks in django-tasks' database queue that were due over GRACE ago and have not started."""
    late = clock.now() - GRACE
    try:
        return (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .filter(Q(run_after=get_date_max(), enqueued_at__lte=late) | Q(run_after__lte=late))
            .count()
        )
    except DatabaseError:
        log.warning("readiness: the task queue cannot be read", exc_info=True)
        return None


def readiness() -> tuple[bool, dict[str, Any]]:
    limit = settings.READY_MAX_BACKLOG
    checks: dict[str, Any] = {"database": "ok" if database_ok() else "failed"}
    if settings.REDIS_URL:
        backlog = redis_backlog()
        checks["redis"] = "failed" if backlog is None else "ok"
    else:
        backlog = database_backlog() if checks["database"] == "ok" else None
        checks["redis"] = "not configured"
    if backlog is None:
        checks["tasks"] = {"state": "unknown"}
    else:
        checks["tasks"] = {"state": "ok" if backlog <= limit else "behind", "late": backlog, "limit": limit}
    ready = checks["database"] == "ok" and checks["redis"] != "failed" and checks["tasks"]["state"] == "ok"
    return ready, checks


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = readiness()
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503
    )
