from typing import Any

from django.core.management.base import BaseCommand

from emotipal.library.services import sync_library


class Command(BaseCommand):
    help = "Load the exercise library from emotipal/library/exercises/*.yaml (a changed file makes a new version)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sync_library()
        self.stdout.write(
            f"library: {len(report.created)} new, {len(report.new_versions)} new versions, "
            f"{len(report.unchanged)} unchanged"
        )
