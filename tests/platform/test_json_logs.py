"""Log lines as JSON objects, one a line; the access log drops tokens from paths; requests carry an id."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from django.test import Client

from emotipal.platform.gunicorn_log import _path
from emotipal.platform.jsonlog import JsonFormatter, request_id


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("emotipal.x", logging.ERROR, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_one_object_a_line_with_time_level_logger_message_and_request_id() -> None:
    token = request_id.set("abc123def")
    try:
        line = JsonFormatter().format(
            _record("sent %d reminders", 3, clinic="north", when=dt.date(2026, 1, 2))
        )
    finally:
        request_id.reset(token)
    data = json.loads(line)
    assert (
        data["level"] == "ERROR" and data["logger"] == "emotipal.x" and data["message"] == "sent 3 reminders"
    )
    assert data["request_id"] == "abc123def" and data["clinic"] == "north" and data["when"] == "2026-01-02"
    assert dt.datetime.fromisoformat(data["time"]).tzinfo is not None
    assert "\n" not in line


def test_a_traceback_stays_on_its_line() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["request_id"] == "-" and "ValueError: boom" in data["exception"]


def test_the_access_log_keeps_routes_not_tokens() -> None:
    assert _path("/invite/Zx9secret/") == "/invite/[token]/"
    assert _path("/r/abcDEF123/") == "/r/[token]/"
    assert _path("/calendar/tok.ics") == "/calendar/[token]"
    assert _path("/support/accept/tok/") == "/support/accept/[token]/"
    assert _path("/accounts/password/reset/key/1-abc/") == "/accounts/password/reset/key/[token]/"
    assert _path("/accounts/confirm-email/key/") == "/accounts/confirm-email/[token]/"
    assert _path("/caseload/") == "/caseload/"
    assert _path("/research/invite/") == "/research/invite/"


def test_each_response_names_its_request_id_and_keeps_a_proxys(db: Any, client: Client) -> None:
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})["X-Request-ID"] == "lb-0123456789"
    )
    # Not an id: replaced, so nothing a client writes there reaches the logs.
    assert client.get("/healthz", headers={"X-Request-ID": 'x" injected'})["X-Request-ID"] != 'x" injected'
