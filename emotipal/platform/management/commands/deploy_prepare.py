"""`emotipal deploy_prepare`: what a release needs before it serves, run by `emotipal serve --production`.

Migrations, then the static files (collectstatic), then a check that whitenoise's manifest is there: in
production every page names its stylesheet and scripts by their hashed names from that manifest, so without
it every page answers 500.

Several web machines may start at once. On PostgreSQL they take turns migrating (an advisory lock): the first
migrates, the others find nothing left to do. Each machine collects its own static
files, into its own STATIC_ROOT.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# Any fixed 64-bit number, the same on every machine: the key of PostgreSQL's advisory lock.
LOCK_KEY = 0x656D6F7469_70616C  # "emotipal"


@contextmanager
def one_at_a_time() -> Iterator[None]:
    if connection.vendor != "postgresql":
        # SQLite is one machine's file (EMOTIPAL_SINGLE_MACHINE): only one process prepares it.
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def manifest_path() -> Path:
    return Path(settings.STATIC_ROOT) / "staticfiles.json"


class Command(BaseCommand):
    help = "Before serving a release: migrate, collect the static files, check whitenoise's manifest."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        with one_at_a_time():
            call_command("migrate", interactive=False, verbosity=verbosity)
        call_command("collectstatic", interactive=False, verbosity=verbosity)
        if settings.PRODUCTION and not manifest_path().is_file():
            raise CommandError(
                f"collectstatic wrote no manifest at {manifest_path()}: pages would answer 500."
            )
        self.stdout.write(f"deploy_prepare: migrated; static files in {settings.STATIC_ROOT}")
