from typing import Any

from django.core.management.base import BaseCommand

from emotipal.research.mrt_outcomes import settle_due


class Command(BaseCommand):
    help = "Fill the proximal outcome of every micro-randomised decision point whose window has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        count = settle_due()
        self.stdout.write(f"{count} decision points settled")
