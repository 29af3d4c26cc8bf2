"""`emotipal readiness`: the checks of /readyz from the command line (a container's health check needs no HTTP
client), printed as the same JSON; exit status 1 when not ready."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.platform.health import readiness


class Command(BaseCommand):
    help = "Check the database, Redis (when REDIS_URL is set) and the task backlog, as /readyz does."

    def handle(self, *args: Any, **options: Any) -> None:
        ready, checks = readiness()
        self.stdout.write(json.dumps({"status": "ready" if ready else "not ready", "checks": checks}))
        if not ready:
            raise CommandError("not ready", returncode=1)
