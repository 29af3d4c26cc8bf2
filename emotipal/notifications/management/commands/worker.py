from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from emotipal.notifications.tasks import schedule_all_reminders
from emotipal.platform import extensions
from emotipal.platform.warm import warm_up


class Command(BaseCommand):
    help = "Run the background task worker: RQ when REDIS_URL is set, the database queue otherwise."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due now, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        # After a restart or a data load, make sure every chosen reminder has its next run queued.
        count = schedule_all_reminders()
        jobs = "; ".join(
            f"{name} {'started' if started else 'running'}"
            for name, started in extensions.periodic_jobs.answer()
        )
        self.stdout.write(f"worker: {count} reminders scheduled; {jobs}")
        # Every reminder and export builds links and renders templates: load the URL configuration (and the
        # views it imports), templates and translations now, not in the first task, which would otherwise take
        # a second or two longer (bench/bench_reminders.py).
        warm_up()
        if settings.REDIS_URL:
            # django-tasks-rq needs its own Job class in the worker to run Tasks API tasks. RQ's SimpleWorker runs
            # each task in this process: the default worker forks a copy of the whole Django process per task,
            # which cost 40 ms of a worker per task (bench/bench_reminders.py), more than a reminder's own work.
            # Each task still has its time limit (SIGALRM), and platform.apps closes stale connections around it.
            call_command(
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                "django_tasks_rq.Job",
                "--worker-class",
                "rq.worker.SimpleWorker",
                *(["--burst"] if options["batch"] else []),
            )
        else:
            call_command(
                "db_worker", *(["--batch"] if options["batch"] else []), "--interval", "2", "--no-reload"
            )
