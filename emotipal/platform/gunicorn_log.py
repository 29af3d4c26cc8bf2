"""gunicorn's own log (start, workers, timeouts) and its access log as JSON lines (platform/jsonlog.py).

The access line names the method, the path (never the query string, and with the secret part of token links
cut, see `_TOKEN_PATHS`), the status, the bytes sent, the duration and the
request's id, which the application set as the X-Request-ID header (platform/middleware_request_id.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn import glogging

from emotipal.platform.jsonlog import JsonFormatter

# Routes that carry a secret token (invitations, reminder links, calendar feeds, support invitations,
# allauth's password reset and e-mail confirmation): the log keeps the route, not the token. A log is read by
# more people, and kept longer, than the links are valid.
_TOKEN_PATHS = re.compile(
    r"^/(invite|r|calendar|support/accept|accounts/password/reset/key|accounts/confirm-email)/[^/]+"
)


def _path(path: str) -> str:
    return _TOKEN_PATHS.sub(lambda m: f"/{m.group(1)}/[token]", path)


class JsonLinesLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in resp.headers)
        path = _path(environ.get("PATH_INFO", ""))
        fields = {
            "method": environ.get("REQUEST_METHOD", ""),
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "request_id": headers.get("x-request-id", "-"),
        }
        self.access_log.log(logging.INFO, "%s %s %s", fields["method"], path, status, extra=fields)
