"""Answers /healthz and /readyz before anything looks at the request's Host.

A load balancer or an orchestrator probes each web process at its own address (http://10.0.3.7:8000/healthz),
a Host that is rightly not in EMOTIPAL_ALLOWED_HOSTS: through the rest of the stack the probe would get
Django's 400 for a disallowed host, and the process would never be sent a request. The two answers name no
host, set no cookie and read nothing of the request, so they are safe to give whatever Host was asked for;
every other path still goes through the host check."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from emotipal.platform import health

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
}


class HealthProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        return probe(request) if probe is not None else self.get_response(request)
