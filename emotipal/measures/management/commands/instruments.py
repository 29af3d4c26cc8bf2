import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.accounts.models import Clinic
from emotipal.definitions.instruments import DefinitionError
from emotipal.measures.models import Instrument
from emotipal.measures.redcap import RedcapError, export_dictionary, import_dictionary
from emotipal.measures.services import latest_version, store_instrument, sync_instruments


class Command(BaseCommand):
    help = (
        "Questionnaires. `instruments list`; `instruments import-redcap FILE.csv [--clinic SLUG]`; "
        "`instruments export-redcap NAME > FILE.csv`; `instruments sync` (load the shipped ones)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "import-redcap", "export-redcap", "sync"])
        parser.add_argument(
            "target", nargs="?", help="the CSV file to import, or the instrument key to export"
        )
        parser.add_argument("--clinic", help="the clinic that owns the instrument (default: shared by all)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {options['clinic']!r}")
        action, target = options["action"], options["target"]
        if action == "sync":
            self.stdout.write(f"instruments: {len(sync_instruments())} new or changed")
        elif action == "list":
            for instrument in Instrument.objects.order_by("key"):
                version = latest_version(instrument)
                owner = instrument.clinic.slug if instrument.clinic else "shared"
                self.stdout.write(f"{instrument.key}\tv{version.number}\t{owner}\t{version.name}")
        elif action == "import-redcap":
            self._import(target, clinic)
        else:
            self._export(target, clinic)

    def _import(self, target: str | None, clinic: Clinic | None) -> None:
        if not target:
            raise CommandError("Name the REDCap data dictionary CSV to import.")
        path = Path(target)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = import_dictionary(path.read_text(encoding="utf-8-sig"))
            for definition in result.definitions:
                version, created = store_instrument(definition, clinic)
                state = "imported" if created else "unchanged"
                self.stdout.write(
                    f"{state}: {version.instrument.key} v{version.number} ({len(definition['items'])} items)"
                )
        except (RedcapError, DefinitionError) as exc:
            raise CommandError(f"{path}: {exc}. Nothing was imported.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text. Nothing was imported.") from exc
        for line in result.report:
            self.stderr.write(f"note: {line}")

    def _export(self, target: str | None, clinic: Clinic | None) -> None:
        if not target:
            raise CommandError("Name the instrument to export (see `instruments list`).")
        instrument = (
            Instrument.objects.filter(key=target, clinic=clinic).first()
            or Instrument.objects.filter(key=target).order_by("clinic_id").first()
        )
        if instrument is None:
            raise CommandError(f"No instrument {target!r}. See `emotipal instruments list`.")
        sys.stdout.write(export_dictionary(latest_version(instrument).definition))
