"""`emotipal serve --production` through a real gunicorn: it migrates and collects the static files first, so
pages and their stylesheets are served (not the 500 every page answered before collectstatic), health checks
answer over plain HTTP, and the access log is JSON lines naming each request's id."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.db import connection

from emotipal.platform.config import _new_vapid_key

ROOT = Path(__file__).resolve().parents[2]
HOST = "emotipal.example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url(tmp: Path) -> str:
    """The suite's test database, already migrated (migrating from nothing takes longer than a test may): a
    copy of its file on SQLite; on PostgreSQL the database itself, where migrate then has nothing to do."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        shutil.copy(db["NAME"], tmp / "db.sqlite3")
        return f"sqlite:///{tmp / 'db.sqlite3'}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    link = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        link.request("GET", path, headers={"Host": HOST, **headers})
        response = link.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        link.close()


def _wait_for(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve --production exited with {server.returncode}")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer /healthz in time")


def _production_env(tmp_path: Path, port: int) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "DJANGO_", "GUNICORN_"))
    }
    return inherited | {
        "EMOTIPAL_ENV": "production",
        "EMOTIPAL_SINGLE_MACHINE": "1",
        "EMOTIPAL_SECRET_KEY": secrets.token_urlsafe(48),
        "EMOTIPAL_FIELD_KEYS": Fernet.generate_key().decode(),
        "EMOTIPAL_VAPID_PRIVATE_KEY": _new_vapid_key(),
        "EMOTIPAL_ALLOWED_HOSTS": HOST,
        "EMOTIPAL_SITE_URL": f"https://{HOST}",
        "EMOTIPAL_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "EMOTIPAL_LOCAL_DIR": str(tmp_path),
        "EMOTIPAL_STATIC_ROOT": str(tmp_path / "static"),
        "EMOTIPAL_BIND": f"127.0.0.1:{port}",
        "EMOTIPAL_WEB_WORKERS": "2",
        "DATABASE_URL": _database_url(tmp_path),
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def _serving(tmp_path: Path, port: int, **extra: str) -> Iterator[tuple[Path, Path]]:
    """`emotipal serve --production` until /healthz answers; yields its stdout and stderr files, complete once
    the block has ended (the server is stopped with SIGTERM, as systemd and Docker stop it)."""
    env = _production_env(tmp_path, port) | extra
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "emotipal.cli", "serve", "--production"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
    try:
        try:
            _wait_for(port, server)
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{out.read_text()}\n{err.read_text()}") from None
        yield out, err
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # What was still running, and gunicorn's last words: what a stop that hangs needs to be understood.
            left = subprocess.run(  # noqa: S603 (ps, with our own process group's id)
                ["ps", "-o", "pid,ppid,stat,wchan:20,cmd", "-g", str(server.pid)],  # noqa: S607
                capture_output=True,
                text=True,
            ).stdout
            os.killpg(server.pid, signal.SIGKILL)
            raise AssertionError(
                f"not stopped 30 s after SIGTERM:\n{left}\n{err.read_text()[-3000:]}"
            ) from None


def _messages(err: Path) -> list[str]:
    """gunicorn's own messages (JSON lines on stderr)."""
    return [json.loads(line)["message"] for line in err.read_text().splitlines() if line.startswith("{")]


def test_serve_production_prepares_then_serves_pages_and_static_files(db: Any, tmp_path: Path) -> None:
    port = _free_port()
    static_root = tmp_path / "static"
    with _serving(tmp_path, port) as (out, err):
        assert (static_root / "staticfiles.json").is_file()

        # A plain-HTTP load balancer check is answered, not redirected; a page is redirected to https.
        status, _, body = _get(port, "/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        status, headers, _ = _get(port, "/accounts/login/")
        assert status == 301 and headers["location"].startswith("https://")
        # A probe at the process's own address, a Host not allowed, is answered; a page at it is refused.
        for probe in ("/healthz", "/readyz"):
            assert _get(port, probe, Host=f"127.0.0.1:{port}")[0] == 200, probe
        assert (
            _get(port, "/accounts/login/", Host=f"127.0.0.1:{port}", **{"X-Forwarded-Proto": "https"})[0]
            == 400
        )

        status, headers, page = _get(port, "/accounts/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 200, page[:2000]
        login_id = headers["x-request-id"]
        stylesheets = re.findall(rb'href="(/static/[^"]+\.css)"', page)
        assert stylesheets, "the login page names no stylesheet"
        for sheet in stylesheets:
            # The manifest's hashed name (whitenoise serves it for a year), not the bare one.
            assert re.search(rb"\.[0-9a-f]{12}\.css$", sheet), sheet
            status, headers, _ = _get(port, sheet.decode(), **{"X-Forwarded-Proto": "https"})
            assert status == 200 and headers["content-type"].startswith("text/css")

    printed = out.read_text()
    assert "deploy_prepare: migrated" in printed
    access = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    assert access, printed
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in access)
    login = [line for line in access if line["path"] == "/accounts/login/" and line["status"] == 200]
    assert [line["request_id"] for line in login] == [login_id]
    # gunicorn's own messages are JSON lines too.
    assert any(m.startswith("Starting gunicorn") for m in _messages(err))


def test_workers_are_replaced_warm_and_end_without_pythons_shutdown(db: Any, tmp_path: Path) -> None:
    """Each worker is replaced after 5 requests here (after 2,000 to 3,000 in production). The master warmed the
    application before forking, so a replacement starts with it loaded; an old worker ends at once."""
    port = _free_port()
    with _serving(tmp_path, port, GUNICORN_CMD_ARGS="--max-requests 5 --max-requests-jitter 0") as (_, err):
        for _ in range(30):
            assert _get(port, "/healthz")[0] == 200
        status, _, page = _get(port, "/accounts/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 200, page[:2000]  # a replacement's page, from the templates compiled in the master
    messages = _messages(err)
    warmed = [m for m in messages if m.startswith("warmed: ")]
    assert len(warmed) == 1, messages  # once, in the master
    names, templates = (int(n) for n in re.findall(r"(\d+) (?:URL names|templates)", warmed[0]))
    assert names > 100 and templates > 100, warmed
    replaced = [m for m in messages if m.startswith("Autorestarting worker")]
    ended = [m for m in messages if m.endswith("ends at once, without Python's shutdown")]
    assert len(replaced) >= 5, messages  # 31 requests on 2 workers of 5 each
    # Every replaced worker ended at once (and so did those the SIGTERM stopped, unless still booting).
    assert len(ended) >= len(replaced), messages
