"""Request-wide input safety and JSON errors for the API.

`BadInputMiddleware` refuses, before any view runs, a request whose query string, form fields or JSON body
hold text that cannot be stored (NUL, lone surrogates; see `input_rules.text_problem`). Doing it once here
covers every form and API field, including views that read `request.POST` directly, and nothing is written.

`ApiJsonErrorsMiddleware` makes every error under /api/ JSON: unknown paths (Django's 404 page), wrong methods
(django-ninja's bare 405) and unhandled exceptions (Django's HTML 500).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from emotipal.platform.input_rules import find_text_problem, text_problem

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


def _query_dict_problem(data: Any) -> str | None:
    for key, values in data.lists():
        problem = text_problem(key) or next((p for v in values if (p := text_problem(v))), None)
        if problem:
            return problem
    return None


def request_text_problem(request: HttpRequest) -> str | None:
    """Why some text in this request cannot be stored, or None."""
    problem = text_problem(request.path) or _query_dict_problem(request.GET)
    if problem:
        return problem
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            problem = _query_dict_problem(request.POST)
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                data = json.loads(request.body or b"null")
            except ValueError:
                return None  # not JSON at all: the API answers that itself with a 422
            problem = find_text_problem(data)
    return problem


def error_response(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message, "errors": {}}, status=status)
    body = f"<!doctype html><title>{escape(message)}</title><h1>{escape(message)}</h1>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_text_problem(request)
        if problem:
            return error_response(request, 400, problem)
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            try:
                reason = HTTPStatus(response.status_code).phrase
            except ValueError:
                reason = "Error"
            json_response = JsonResponse(
                {"detail": reason, "errors": {}},
                status=response.status_code,
            )
            if response.has_header("Allow"):  # a 405 says which methods would work
                json_response["Allow"] = response["Allow"]
            return json_response
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse({"detail": _("Internal Server Error"), "errors": {}}, status=500)
