"""The production server the HTTP benchmarks load, the people who sign in to it, and paired measuring.

`emotipal serve --production` (gunicorn) on a fresh PostgreSQL database and a Redis database of the benchmark's
own; this process is then configured as the same deployment (same settings, database and Redis), so that it can
seed through the app's own code and count the queries a request makes.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from smoke_production import (  # noqa: E402
    HOST,
    PASSWORD,
    PG,
    Browser,
    Mailbox,
    Processes,
    free_port,
    production_env,
    start_smtp_sink,
    wait_until,
)

from bench import http_load  # noqa: E402

WORKERS = (
    2  # gunicorn worker processes: as CI's smoke test, on a 2-core machine shared with PostgreSQL and wrk
)


@dataclass(frozen=True)
class Deployment:
    database: str  # a PostgreSQL database of the benchmark's own, dropped afterwards
    redis_url: str  # a Redis database of its own, flushed first
    settings: str = "emotipal.platform.settings"
    env: dict[str, str] = field(default_factory=dict)


def _fresh_database(deployment: Deployment) -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
        pg.execute(f"DROP DATABASE IF EXISTS {deployment.database} WITH (FORCE)")
        pg.execute(f"CREATE DATABASE {deployment.database}")
    redis.Redis.from_url(deployment.redis_url).flushdb()


def _drop_database(deployment: Deployment) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
        pg.execute(f"DROP DATABASE IF EXISTS {deployment.database} WITH (FORCE)")


@contextmanager
def production_server(folder: Path, deployment: Deployment) -> Iterator[int]:
    """gunicorn on a fresh database; yields its port."""
    port = free_port()
    sink, smtp_port = start_smtp_sink(Mailbox())  # the invitations' e-mails
    env = production_env(folder, port, smtp_port) | {
        "DATABASE_URL": f"{PG}/{deployment.database}",
        "REDIS_URL": deployment.redis_url,
        "DJANGO_SETTINGS_MODULE": deployment.settings,
        "EMOTIPAL_WEB_WORKERS": str(WORKERS),
        # The API's per-person limit (120 a minute) would answer 429 to a load test; the count still runs.
        "EMOTIPAL_API_RATE_SESSION": "1000000/m",
        "EMOTIPAL_LOG_LEVEL": "WARNING",
        "EMOTIPAL_TRUSTED_PROXY_COUNT": "1",
        **deployment.env,
    }
    _fresh_database(deployment)
    processes = Processes(folder, env)
    try:
        web = processes.start("web", "serve", "--production")
        probe = Browser(port)
        wait_until("/readyz", lambda: probe.request("GET", "/readyz").status == 200, 240, [web])
        os.environ.update(env)
        import django

        django.setup()
        yield port
    finally:
        processes.stop_all()
        sink.shutdown()
        from django.db import connections

        connections.close_all()
        _drop_database(deployment)


# --- people ----------------------------------------------------------------------------------------------------


class BrowserAt(Browser):
    """A browser at its own address, as the TLS proxy reports it (X-Forwarded-For, one trusted proxy): the
    login limit (30 a minute per address) counts each simulated person apart, as it would in a clinic."""

    def __init__(self, port: int, address: str) -> None:
        super().__init__(port)
        self.address = address

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return super().request(method, path, body, {"X-Forwarded-For": self.address, **(headers or {})})


def analyze_database() -> None:
    """Refresh PostgreSQL's planner statistics after seeding in bulk, as autovacuum does within a minute of
    that many inserts on a running server: measured straight after the seed, the planner still believes the
    tables empty and picks nested loops (a caseload query at 5,000 clients: 490 ms, 144 ms once analysed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _csrf_token(page: Any) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text())
    assert token, page.status
    return token[1]


def signed_in(port: int, email: str, n: int, totp_secret: str | None = None) -> http_load.Person:
    """A person signed in through the real login form (and the TOTP step, for staff with an authenticator)."""
    browser = BrowserAt(port, f"10.0.{n // 250}.{n % 250 + 1}")
    page = browser.request("GET", "/accounts/login/")
    answer = browser.form(
        "/accounts/login/", {"csrfmiddlewaretoken": _csrf_token(page), "login": email, "password": PASSWORD}
    )
    assert answer.status == 302, answer.status
    if totp_secret is not None:
        import pyotp

        assert "/accounts/2fa/authenticate" in answer.headers["location"], answer.headers["location"]
        page = browser.request("GET", "/accounts/2fa/authenticate/")
        answer = browser.form(
            "/accounts/2fa/authenticate/",
            {"csrfmiddlewaretoken": _csrf_token(page), "code": pyotp.TOTP(totp_secret).now()},
        )
        assert answer.status == 302, answer.status
    assert "/accounts/" not in answer.headers["location"], answer.headers["location"]
    browser.request("GET", "/today/" if totp_secret is None else "/clients/")  # the CSRF cookie
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    return http_load.Person(cookie=cookie, csrf=browser.cookies.get("csrftoken", ""))


def client_session(port: int, email: str, n: int) -> http_load.Person:
    return signed_in(port, email, n)


def get_once(port: int, person: http_load.Person, path: str) -> bytes:
    browser = Browser(port)
    for pair in person.cookie.split("; "):
        name, value = pair.split("=", 1)
        browser.cookies[name] = value
    answer = browser.request("GET", path)
    assert answer.status == 200, (path, answer.status, answer.text()[:500])
    return answer.body


def queries_per_request(
    person: http_load.Person, method: str, path: str, body: str = "", warm: str = "/today/"
) -> int:
    """The queries one request makes, counted in this process against the same database and settings as the
    server, as the signed-in person (their session cookie from the real login)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    browser = Client(HTTP_HOST=HOST, HTTP_X_CSRFTOKEN=person.csrf)
    for pair in person.cookie.split("; "):
        name, value = pair.split("=", 1)
        browser.cookies[name] = value
    browser.get(warm, secure=True)  # the session as the browser has it (and its throttle entry)
    with CaptureQueriesContext(connection) as ctx:
        if method == "POST":
            answer = browser.post(
                path, body, content_type="application/json", secure=True, HTTP_IDEMPOTENCY_KEY="count-queries"
            )
        else:
            answer = browser.get(path, secure=True)
    assert answer.status_code in (200, 201), (path, answer.status_code, answer.content[:300])
    return len(ctx.captured_queries)


# --- measuring ---------------------------------------------------------------------------------------------------


@dataclass
class Paired:
    target: list[http_load.Result]
    floor: list[http_load.Result]

    def rates(self) -> tuple[float, float]:
        return (
            statistics.median(r.rate for r in self.target),
            statistics.median(r.rate for r in self.floor),
        )

    def p95(self) -> float:
        return statistics.median(r.p95_ms for r in self.target)

    def floor_p95(self) -> float:
        return statistics.median(r.p95_ms for r in self.floor)

    def errors(self) -> int:
        return sum(r.non_2xx + r.socket_errors for r in self.target + self.floor)


def paired(
    target: Callable[[], http_load.Result], floor: Callable[[], http_load.Result], rounds: int
) -> Paired:
    """Alternate which of the two goes first each round, after one short warm-up of each."""
    out = Paired([], [])
    for i in range(rounds):
        pair: list[tuple[Callable[[], http_load.Result], list[http_load.Result]]] = [
            (floor, out.floor),
            (target, out.target),
        ]
        for fn, results in pair if i % 2 == 0 else reversed(pair):
            results.append(fn())
    return out
