"""Two real server processes on one database, as two gunicorn workers would be: a login brute force alternated
between them is locked out after the configured number of failures in total, and an API token's rate is one
count for both. Each process would allow the full number on its own if the counts lived in its memory.

The processes share the test database: the file the suite's SQLite test database already is (tests/settings.py
puts it in a file, not in memory, so another process can open it), or the PostgreSQL test database. So the test
writes through a transactional database (committed, visible to them) rather than the usual rolled-back one.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.db import connection

from emotipal.accounts.services import create_api_token
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
FAILURE_LIMIT = 3
TOKEN_RATE = 4  # a minute


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]


def _start(env: dict[str, str]) -> Server:
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return Server(port, process)


def _wait_until_up(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited: {server.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            link = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            link.request("GET", "/healthz")
            if link.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)  # not listening yet: poll again, until the deadline
    raise AssertionError(f"the server on port {server.port} did not answer /healthz in time")


@pytest.fixture(scope="module")
def servers(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[Server, Server]]:
    with django_db_blocker.unblock():
        url = _database_url()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMOTIPAL_API_RATE_", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",  # the suite's password hasher, for the users made here
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "EMOTIPAL_DB_CONN_MAX_AGE": "0",  # no connection left open when the test database is dropped
        "EMOTIPAL_LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        "EMOTIPAL_API_RATE_TOKEN": f"{TOKEN_RATE}/m",
        "EMOTIPAL_LOG_LEVEL": "ERROR",
    }
    pair = (_start(env), _start(env))  # started together: they import Django side by side
    try:
        deadline = time.monotonic() + 90
        for server in pair:
            _wait_until_up(server, deadline)
        yield pair
    finally:
        for server in pair:
            server.process.terminate()
        for server in pair:
            server.process.wait(timeout=30)


@pytest.fixture
def shared_db(transactional_db: None) -> Iterator[None]:
    yield
    # The cache table is not a model's, so the flush after a transactional test leaves it: the counts made
    # here would stay for the tests after this one.
    cache.clear()


@dataclass
class Visitor:
    """One client with one cookie jar, sending to whichever process it is told: a load balancer's two workers."""

    cookies: dict[str, str] = field(default_factory=dict)

    def send(
        self, server: Server, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, dict[str, str], str]:
        link = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        link.request(method, path, body=body, headers=headers)
        response = link.getresponse()
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), response.read().decode()

    def log_in(self, server: Server, email: str, password: str) -> tuple[int, str]:
        _status, _headers, page = self.send(server, "GET", "/accounts/login/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, "no CSRF token on the login page"
        form = {"csrfmiddlewaretoken": found.group(1), "login": email, "password": password}
        status, _headers, page = self.send(server, "POST", "/accounts/login/", form)
        return status, page


def test_a_brute_force_alternating_between_two_processes_is_locked_out_after_the_limit_in_total(
    servers: tuple[Server, Server], shared_db: None
) -> None:
    a, b = servers
    therapist = make_user("therapist@two-workers.example.org", "Therapist")
    attacker = Visitor()
    statuses = [attacker.log_in(server, therapist.email, "a guess")[0] for server in (a, b, a)]
    # Two wrong passwords get the form again; the third, the limit counted over both processes, locks out.
    assert statuses == [200, 200, 429]
    assert AccessAttempt.objects.get(username=therapist.email).failures_since_start == FAILURE_LIMIT
    for server in (b, a):
        status, page = attacker.log_in(server, therapist.email, PASSWORD)
        assert status == 429 and "Logging in is paused" in page, f"port {server.port} let the password in"
        assert attacker.send(server, "GET", "/settings/")[0] == 302  # to the login page: not logged in


def test_an_api_token_has_one_count_over_both_processes(
    servers: tuple[Server, Server], shared_db: None
) -> None:
    a, b = servers
    user = make_user("script@two-workers.example.org", "Script")
    first, second = (create_api_token(user, name).secret for name in ("one", "two"))
    caller = Visitor()

    def me(server: Server, secret: str) -> tuple[int, dict[str, str], str]:
        return caller.send(server, "GET", "/api/v1/me", Authorization=f"Bearer {secret}")

    statuses = [me(server, first)[0] for server in (a, b) * (TOKEN_RATE // 2)]
    assert statuses == [200] * TOKEN_RATE
    for server in (a, b):
        status, headers, body = me(server, first)
        assert status == 429 and int(headers["Retry-After"]) >= 1 and "Too many requests" in body
        assert me(server, second)[0] == 200  # another token is not affected
