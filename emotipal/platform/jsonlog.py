"""Log records as JSON lines: one object per line with time, level, logger, message and the request's id.

Production's log collectors (journald, Docker, a cloud's agent) read one line per event; a traceback spread
over twenty lines becomes twenty events. Here it is one field of one line. Ours rather than a library's: it
is forty lines and has no options to get wrong.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

# The id of the request being served, set by platform/middleware_request_id.py; "-" outside a request.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("emotipal_request_id", default="-")

# Attributes every LogRecord has; anything else on a record came from `extra=` and goes into the line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: a value from `extra=` that JSON cannot hold (a date, a path) is written, not lost.
        return json.dumps(line, ensure_ascii=False, default=str)
