import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.homework.export import compliance_rows, write_csv


class Command(BaseCommand):
    help = (
        "Export data. `export compliance --out FILE.csv [--clinic SLUG]`: every compliance figure, labelled."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["compliance"])
        parser.add_argument("--out", required=True, help="CSV file to write ('-' for standard output)")
        parser.add_argument("--clinic", help="only this clinic (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = ClientProfile.objects.select_related("user", "therapist")
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {options['clinic']!r}")
            clients = clients.filter(clinic=clinic)
        if options["out"] == "-":
            write_csv(compliance_rows(clients), sys.stdout)  # not self.stdout: it adds a newline per write
            return
        path = Path(options["out"])
        if not path.parent.exists():
            raise CommandError(f"Folder {path.parent} does not exist")
        with path.open("w", newline="", encoding="utf-8") as out:
            count = write_csv(compliance_rows(clients), out)
        self.stderr.write(f"wrote {count} figures to {path}")
