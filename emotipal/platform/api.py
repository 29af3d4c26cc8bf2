"""The plumbing every app's API router shares: the root API's shape, its error answers, the role check.

The root API itself is put together in emotipal/api.py (the composition root), which mounts each app's router.
Every error answer is JSON with one shape, `ErrorOut`: what went wrong, and a message per field when the
request's fields were at fault (422), whether an action refused it or the request did not even parse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import wraps
from http import HTTPStatus
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


# Every error answer of the API, and what it means. Each operation's schema lists those it can give (see
# EmotiPalAPI.get_openapi_schema), all with the ErrorOut body; scripts/fuzz_api.py fails on any other status.
ERRORS: dict[int, str] = {
    400: "The request could not be read: a body that is not JSON or is over the size limit, or text that "
    "cannot be stored (a NUL character, a lone surrogate) anywhere in it, the query string included. "
    "Nothing was changed.",
    401: "No valid token or session: none sent, or a token that is unknown, expired or revoked (the detail "
    "says which).",
    403: "Authenticated but not allowed: the role does not allow this, the clinic requires two-factor "
    "authentication first, a browser session must confirm its password first, or a session's write came "
    "without its CSRF token.",
    404: "No such object, or not one the caller may see (the same answer either way); for an operation on "
    "the caller's own homework, a caller who is not a client.",
    409: "The object is not ready for this: the export is still being made, or it failed.",
    422: "A field is missing or not valid, or the action refused the request: `errors` names each field "
    "with its message.",
    429: "Too many requests from this token, person or client address: wait Retry-After seconds.",
}
# What every operation can answer: the input rules (platform/middleware.py) and authentication, the MFA
# policy and the throttles (emotipal/api.py) run before any operation does.
EVERY_OPERATION = (400, 401, 403, 429)
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'For a refused token: Bearer error="invalid_token".',
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until a request is let through again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def error_codes(operation: dict[str, Any]) -> set[int]:
    """The error answers one operation can give: those of every operation; 404 for an object named in the
    path (access.py answers 404 for what the caller may not see) and 422 for any parameter or body (ninja
    checks them first); and those the operation declares itself (`response={..., 409: ErrorOut}`)."""
    codes = set(EVERY_OPERATION)
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        codes.add(404)
    if parameters or "requestBody" in operation:
        codes.add(422)
    codes.update(int(code) for code in operation.get("responses", {}) if int(code) >= 400)
    return codes


def error_response(code: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        # A code not in ERRORS yet gets its plain name (tests/platform/test_openapi_errors.py asks for ERRORS).
        "description": ERRORS.get(code) or HTTPStatus(code).phrase,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    if code in HEADERS:
        answer["headers"] = HEADERS[code]
    return answer


class EmotiPalAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Each operation documents every error answer it can give, with the one error body (ErrorOut), so
        a client of the API and Schemathesis know them all; said here once rather than on each operation."""
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                codes = error_codes(operation)
                responses = {
                    str(code): answer
                    for code, answer in operation.get("responses", {}).items()
                    if int(code) < 400
                }
                responses.update((str(code), error_response(code)) for code in sorted(codes))
                operation["responses"] = responses
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
