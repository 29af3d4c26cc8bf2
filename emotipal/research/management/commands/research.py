"""`emotipal research export --study SLUG --out DIR`: a study's de-identified export in every format."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.research.errors import ResearchError
from emotipal.research.export.audit import audit_export
from emotipal.research.export.build import FORMATS, build_export
from emotipal.research.models import Study


class Command(BaseCommand):
    help = (
        "Research exports. `research export --study SLUG --out DIR [--format csv ...]`: the study's "
        "de-identified tables, codebook and manifest in every format (default) into a new or empty folder; "
        "its CSV files are a data set `emotipal analyse DIR` reads."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["export"])
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument(
            "--out", required=True, help="folder to write (created; must be empty if it exists)"
        )
        parser.add_argument(
            "--format", action="append", choices=FORMATS, help="only these formats (repeat for more)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            known = ", ".join(Study.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"No study with slug {options['study']!r} (studies: {known})")
        out = Path(options["out"])
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} is not an empty folder: choose a new one, so no old file is mixed in")
        formats = tuple(options["format"] or FORMATS)
        try:
            manifest = build_export(study, out, formats=formats)
        except ResearchError as exc:
            raise CommandError(str(exc)) from exc
        # Whoever runs this reads every included participant's (pseudonymous) data: audited per participant,
        # with the operating-system account (there is no EmotiPal login here).
        audit_export(None, study, "export", via="command line", os_user=getpass.getuser(), folder=str(out))
        included = manifest["participants"]["participants_included"]
        self.stderr.write(
            f"wrote {len(manifest['files'])} files for {included} participants of {study.slug} to {out}"
        )
