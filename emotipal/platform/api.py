"""The plumbing every app's API router shares: the root API's shape, its error answers, the role check.

The root API itself is put together in emotipal/api.py (the composition root), which mounts each app's router.
Every error answer is JSON with one shape, `ErrorOut`: what went wrong, and a message per field when the
request's fields were at fault (422), whether an action refused it or the request did not even parse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, Throttled
from ninja.errors import ValidationError as RequestValidationError


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] = {}


class ActionError(Exception):
    """An action that refuses a request: `message` for the person, `errors` maps field paths to messages.

    Each app's error (HomeworkError, MeasureError) is one of these, so pages show it as form errors and the
    API answers it with a 422 in the ErrorOut shape.
    """

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def require(check: bool) -> None:
    """403 unless the caller's role allows the operation (object checks are each app's access.py)."""
    if not check:
        raise HttpError(403, _("Your role does not allow this."))


def _field_path(location: Sequence[Any]) -> str:
    # ninja says where a bad value was: ("path", "assignment_id") or ("body", "payload", "answers", "x").
    parts = [str(p) for p in location if p not in ("body", "payload", "path", "query", "header")]
    return ".".join(parts) or "request"


def docs_gate(view: Any) -> Any:
    """The API's docs page and its OpenAPI schema: open in development; in production only for people logged
    in (the schema is no secret, but an outsider has no use for a map of the clinic's API). The page's scripts
    and styles are served from our own static files ("ninja" is an installed app), never a CDN."""

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.PRODUCTION and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return gated


TOO_MANY_REQUESTS = {
    "description": "Too many requests from this token, person or client address: wait Retry-After seconds.",
    "headers": {
        "Retry-After": {
            "description": "Seconds until a request is let through again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


class EmotiPalAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Every operation may answer 429 (the throttles apply to all of them): said once here instead of on
        each operation."""
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                operation.setdefault("responses", {})["429"] = TOO_MANY_REQUESTS
        return schema


def build_api(auth: list[Any], throttle: list[Any]) -> NinjaAPI:
    api = EmotiPalAPI(
        title="EmotiPal API",
        version="1",
        urls_namespace="api",
        auth=auth,
        throttle=throttle,
        docs_url="/docs",
        docs_decorator=docs_gate,
    )

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        seconds = max(1, math.ceil(exc.wait or 1))
        message = ngettext(
            "Too many requests: try again in %(seconds)d second.",
            "Too many requests: try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
        response = api.create_response(request, {"detail": message, "errors": {}}, status=429)
        response["Retry-After"] = str(seconds)
        return response

    @api.exception_handler(ActionError)
    def action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, "errors": exc.errors}, status=422)

    @api.exception_handler(RequestValidationError)
    def request_error(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
        # The same shape as an action's refusal, so a client of the API handles one kind of 422.
        errors: dict[str, str] = {}
        for problem in exc.errors:
            errors.setdefault(_field_path(problem.get("loc", ())), str(problem.get("msg", _("Not valid."))))
        return api.create_response(
            request, {"detail": _("Some fields need another look."), "errors": errors}, status=422
        )

    return api
