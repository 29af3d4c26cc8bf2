from typing import Any

from django.core.management.base import BaseCommand

from emotipal.training.services import load_vignettes


class Command(BaseCommand):
    help = "Build the simulated training vignettes (emotipal/analysis/vignettes.py) and store them."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_vignettes()
        self.stdout.write(
            f"vignettes: {len(report.created)} new, {len(report.updated)} rebuilt, {len(report.unchanged)} unchanged"
        )
