import getpass
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.accounts.access import note_reads
from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.homework.export import compliance_rows, write_csv
from emotipal.measures.fhir_export import bundle_for
from emotipal.measures.models import Response


class Command(BaseCommand):
    help = (
        "Export data. `export compliance --out FILE.csv`: every compliance figure, labelled by source, type and "
        "timing. `export fhir --out FILE.json [--fhir-version R4B|R5]`: questionnaires, responses and total "
        "scores as a FHIR Bundle."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["compliance", "fhir"])
        parser.add_argument("--out", required=True, help="file to write ('-' for standard output)")
        parser.add_argument("--clinic", help="only this clinic (its slug)")
        parser.add_argument("--fhir-version", choices=["R4B", "R5"], default="R4B")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = ClientProfile.objects.select_related("user", "therapist", "clinic")
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {options['clinic']!r}")
            clients = clients.filter(clinic=clinic)
        out = options["out"]
        if out != "-" and not Path(out).parent.exists():
            raise CommandError(f"Folder {Path(out).parent} does not exist")
        # Whoever runs the export at the command line reads every one of these clients' data: audited per client,
        # with the operating-system account (there is no EmotiPal login here).
        note_reads(
            None, list(clients), f"export.{options['what']}", via="command line", os_user=getpass.getuser()
        )
        if options["what"] == "fhir":
            bundle = bundle_for(
                Response.objects.filter(client__in=clients), fhir_version=options["fhir_version"]
            )
            text = json.dumps(bundle, indent=2, ensure_ascii=False)
            if out == "-":
                sys.stdout.write(text + "\n")
            else:
                Path(out).write_text(text + "\n", encoding="utf-8")
                self.stderr.write(f"wrote {len(bundle.get('entry', []))} FHIR resources to {out}")
            return
        if out == "-":
            write_csv(compliance_rows(clients), sys.stdout)  # not self.stdout: it adds a newline per write
            return
        with Path(out).open("w", newline="", encoding="utf-8") as handle:
            count = write_csv(compliance_rows(clients), handle)
        self.stderr.write(f"wrote {count} figures to {out}")
