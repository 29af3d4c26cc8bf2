from typing import Any

from django.core.management.base import BaseCommand

from emotipal.demo.loader import load_demo
from emotipal.library.services import sync_library
from emotipal.measures.services import sync_instruments


class Command(BaseCommand):
    help = "Load the exercise library and, once, the simulated demo clinic (fictional people only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clients", type=int, default=30)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        sync_library()
        sync_instruments()
        result = load_demo(clients=options["clients"], seed=options["seed"])
        verb = "loaded" if result.created else "already present"
        self.stdout.write(f"demo clinic {verb}: {result.clients} clients, {result.entries} entries")
