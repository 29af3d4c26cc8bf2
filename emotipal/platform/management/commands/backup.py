from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.make import make_backup


class Command(BaseCommand):
    help = (
        "Back up the whole database into one new file, encrypted with the first key of EMOTIPAL_BACKUP_KEY "
        "(PostgreSQL through pg_dump, SQLite through its online backup API). The file records the row count "
        "of every table and checks of sampled encrypted fields, which `emotipal restore` verifies."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="the file to write (must not exist yet)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = make_backup(connection, Path(options["out"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        described = {"path": made.path, "size": made.size, "vendor": made.vendor, "tables": made.tables}
        described |= {"rows": made.rows, "samples": made.samples, "key": made.key_id}
        self.stdout.write(
            (
                "wrote {path} ({size} bytes): {vendor}, {tables} tables, {rows} rows, {samples} "
                "sampled encrypted values; backup key {key}"
            ).format(**described)
        )
