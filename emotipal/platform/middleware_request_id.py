"""Gives each request an id, for the log lines written while serving it and for the X-Request-ID header.

A proxy of our own may already have given the request an id (X-Request-ID); it is kept when it looks like
one, so that the proxy's log and ours name the same request. Anything else a client sends is replaced: a
header is not a place to let strangers write into our logs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from emotipal.platform.jsonlog import request_id

_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        return response
