"""10,000 homework reminders sent by two RQ worker processes, to a local SMTP sink and a local push endpoint.

    .venv/bin/python bench/bench_reminders.py [--quick] [--json out.json]

The deployment is production's: `emotipal worker` twice (RQ on Redis, the worker class deploy/ runs) on a fresh
PostgreSQL database, production settings, e-mail over SMTP to a sink in this process, web push (VAPID,
aes128gcm) to a push endpoint in this process. 10,000 clients (--quick: 1,000) each have homework due today and
a reminder due now; every one gets an e-mail and every other one also a push (bench/reminders_seed.py). What is
timed: from the wake task queued for the reminders' moment (the Tasks API, as queuing a client's reminder
queues its moment's wake) until every reminder is sent, every delivery has the service's answer and the next
day's reminder is queued. The wake splits the due reminders into tasks of 100 (notifications/tasks.py), which
the two workers share. Floor: the same two workers running one no-op task per reminder
(bench/reminders_tasks.py), what sending each reminder in a task of its own would cost before any work,
measured before and after the reminders on half as many tasks each (their sum: RQ's cost is per task, and two
full rounds were two minutes of make bench's fifteen). Target (issue 15): at most 60 s for 10,000.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from smoke_production import (  # noqa: E402
    PG,
    Mailbox,
    Processes,
    Started,
    free_port,
    production_env,
    start_smtp_sink,
    wait_until,
)

from bench.common import Measure, main  # noqa: E402
from bench.http_server import Deployment, _drop_database, _fresh_database  # noqa: E402

DEPLOYMENT = Deployment(database="bench_reminders", redis_url="redis://127.0.0.1:6379/5")
REPRODUCE = ".venv/bin/python bench/bench_reminders.py"
REMINDERS, QUICK_REMINDERS = 10_000, 1_000
SECONDS_FOR_10_000 = 60.0  # issue 15
WORKERS = 2
TIMEOUT = 600
# The cause of the shortfall as profiled (shown only when the target is missed), after the RQ floor's share.
SLOW_CAUSE = (
    "a batch of 100 reminders is one transaction of about 17 queries whatever its size (notifications/"
    "services.py send_reminders: the reminders, their clients' preferences, arms, homework, questionnaires, "
    "availability and push subscriptions read once each; deliveries, reminder events and audit rows written in "
    "bulk; the next day's reminders queued in the same transaction), so what is left is each reminder's own "
    "Python work (its e-mail and link rendered, the SMTP conversation with the sink, a push encrypted and "
    "posted): {worker_ms:.0f} ms of a worker each where 12 ms would meet the target, with both workers, "
    "PostgreSQL and the sinks on the same 2 cores. RQ's own cost, the floor, is {floor_10k:.0f} s for 10,000 "
    "tasks; the reminders need 100"
)


class PushEndpoint:
    """A push service on localhost that takes every push (201) and counts them."""

    def __init__(self) -> None:
        self.received = 0
        lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    endpoint.received += 1
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"


@contextmanager
def deployment(folder: Path, mailbox: Mailbox) -> Iterator[list[Started]]:
    """A fresh database migrated, two `emotipal worker` processes listening on RQ; this process configured as
    the same deployment (it seeds and queues through the app's own code)."""
    sink, smtp_port = start_smtp_sink(mailbox)
    env = production_env(folder, free_port(), smtp_port) | {
        "DATABASE_URL": f"{PG}/{DEPLOYMENT.database}",
        "REDIS_URL": DEPLOYMENT.redis_url,
        "EMOTIPAL_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": DEPLOYMENT.settings,
    }
    _fresh_database(DEPLOYMENT)
    processes = Processes(folder, env)
    try:
        processes.run("migrate", "migrate", "--noinput", timeout=300)
        workers = [processes.start(f"worker{i}", "worker") for i in range(1, WORKERS + 1)]
        wait_until("the workers to listen", lambda: all(_listening(w) for w in workers), 120, workers)
        os.environ.update(env)
        import django

        django.setup()
        yield workers
    finally:
        processes.stop_all()
        sink.shutdown()
        from django.db import connections

        connections.close_all()
        _drop_database(DEPLOYMENT)


def _listening(worker: Started) -> bool:
    return "Listening on" in worker.stderr.read_text(errors="replace") + worker.stdout.read_text(
        errors="replace"
    )


def _timed(
    enqueue: Callable[[], None], done: Callable[[], bool], workers: list[Started]
) -> tuple[float, float]:
    """Seconds from the first task queued until `done`; and how long queuing alone took."""
    began = time.perf_counter()
    enqueue()
    queued = time.perf_counter() - began
    wait_until("the tasks to finish", done, TIMEOUT, workers)
    return time.perf_counter() - began, queued


def measures(quick: bool = False) -> list[Measure]:
    n = QUICK_REMINDERS if quick else REMINDERS
    limit = SECONDS_FOR_10_000 * n / REMINDERS
    folder = Path(tempfile.mkdtemp(prefix="emotipal-bench-reminders-"))
    mailbox, push = Mailbox(), PushEndpoint()
    with deployment(folder, mailbox) as workers:
        import datetime as dt

        import django_rq

        from bench.reminders_seed import seed_due_reminders
        from bench.reminders_tasks import nothing
        from emotipal.notifications.models import Delivery, ScheduledReminder
        from emotipal.notifications.tasks import wake_reminders
        from emotipal.platform import clock

        reminder_time = (clock.now() - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
        began = time.perf_counter()
        ids = seed_due_reminders(n, push.url, reminder_time)
        seeded_s = time.perf_counter() - began
        registry = django_rq.get_queue("default").finished_job_registry

        half = n // 2

        def floor_round() -> tuple[float, float]:
            start = registry.count
            return _timed(
                lambda: [nothing.enqueue(i) for i in range(half)] and None,
                lambda: registry.count >= start + half,
                workers,
            )

        waiting = [Delivery.Status.QUEUED, Delivery.Status.SENT]

        def reminders_done() -> bool:
            return (
                not ScheduledReminder.objects.filter(pk__in=ids, sent_at__isnull=True).exists()
                and not Delivery.objects.filter(status__in=waiting).exists()
                and ScheduledReminder.objects.filter(for_date__gt=clock.now().date(), task_id__gt="").count()
                >= n
            )

        floor_before, _ = floor_round()
        print(f"floor: {floor_before:.1f} s", file=sys.stderr)
        target_s, queued_s = _timed(
            lambda: wake_reminders.enqueue(clock.now().isoformat()) and None, reminders_done, workers
        )
        floor_after, _ = floor_round()
        outcomes = sorted(set(ScheduledReminder.objects.filter(pk__in=ids).values_list("outcome", flat=True)))
        emails = len(mailbox.messages)
        pushes = push.received
        push.server.shutdown()
    floor_s = floor_before + floor_after  # n no-op tasks in all, half before the reminders and half after
    expected = (n, n // 2 + n % 2)
    complete = outcomes == ["sent"] and (emails, pushes) == expected
    return [
        Measure(
            name=f"{n:,} reminders by {WORKERS} RQ worker processes (e-mail to an SMTP sink, push to a local "
            "endpoint)",
            floor_name=f"same workers, {n:,} no-op tasks",
            floor=floor_s,
            value=target_s,
            unit="s",
            target=f"≤ {limit:g} s",
            ratio=target_s / floor_s if floor_s else None,
            met=complete and target_s <= limit,
            reproduce=REPRODUCE,
            note=(
                f"not every reminder went out: outcomes {outcomes}, {emails} e-mails and {pushes} pushes "
                f"received, {expected} expected"
                if not complete
                else ""
                if target_s <= limit
                else SLOW_CAUSE.format(
                    floor_10k=floor_s * REMINDERS / n, worker_ms=1000 * target_s * WORKERS / n
                )
            ),
            extra={
                "per reminder": f"{1000 * target_s / n:.1f} ms ({1000 * target_s * WORKERS / n:.1f} ms of a worker)",
                "queuing the wake": f"{queued_s:.1f} s (included)",
                "floor before / after": f"{floor_before:.1f} s / {floor_after:.1f} s ({half:,} tasks each)",
                "received": f"{emails:,} e-mails, {pushes:,} pushes",
                "seeding (not timed)": f"{seeded_s:.0f} s",
            },
        )
    ]


if __name__ == "__main__":
    main(measures)
