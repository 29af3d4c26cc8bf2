"""Benchmarks (not tests): page cost as a ratio to a bare endpoint of the same server, in the same run.

Runs against a throwaway copy of the demo clinic (SQLite in a temp dir, or DATABASE_URL if set), in-process
with Django's test client so that the ratio measures EmotiPal's own work, not a network stack.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMOTIPAL_LOCAL_DIR", tempfile.mkdtemp(prefix="emotipal-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emotipal.platform.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from emotipal.accounts.models import User  # noqa: E402
from emotipal.demo.loader import DEMO_LOGINS, load_demo  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))


def timed(http: Client, url: str) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = http.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def queries(http: Client, url: str) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as ctx:
        http.get(url)
    return len(ctx.captured_queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    load_demo(clients=int(os.environ.get("BENCH_CLIENTS", "60")))
    therapist, client = Client(), Client()
    therapist.force_login(User.objects.get(email=DEMO_LOGINS["therapist"]))
    client.force_login(User.objects.get(email=DEMO_LOGINS["client"]))
    floor = timed(client, "/healthz")
    print(f"floor /healthz: {floor * 1000:.2f} ms (median of {ROUNDS})")
    for who, http, url in [
        ("client", client, "/today/"),
        ("therapist", therapist, "/clients/"),
        ("therapist", therapist, "/api/v1/clients"),
    ]:
        median = timed(http, url)
        print(
            f"{who:9} {url:18} {median * 1000:7.2f} ms  ratio {median / floor:5.1f}x  queries {queries(http, url)}"
        )


if __name__ == "__main__":
    main()
