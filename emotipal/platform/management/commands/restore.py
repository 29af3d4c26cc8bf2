from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a file made by `emotipal backup` into the database DATABASE_URL names, which must be empty "
        "(new, or only migrated). The whole file is authenticated with EMOTIPAL_BACKUP_KEY and its sampled "
        "encrypted fields opened with EMOTIPAL_FIELD_KEYS before anything is loaded; afterwards every table's "
        "row count, the sampled fields and the audit chain are checked. Exit status 1 on any refusal or "
        "mismatch."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a file written by `emotipal backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restore_backup(connection, Path(options["file"]), self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
