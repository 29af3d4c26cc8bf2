"""The one root API (/api/v1): each app's router mounted on the platform's plumbing (composition root)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from emotipal.accounts import api as accounts_api
from emotipal.accounts import api_throttle
from emotipal.accounts.mfa_policy import MFARequired
from emotipal.accounts.services import TokenRefused
from emotipal.homework import api as homework_api
from emotipal.homework import api_plan_changes, api_review
from emotipal.library import api as library_api
from emotipal.platform.api import build_api
from emotipal.research import api as research_api

# The anonymous count is the last way to authenticate (it authenticates no one): a request that got that far
# is counted per client address, then refused (401), or 429 once over its rate.
api = build_api(
    auth=[accounts_api.TokenAuth(), accounts_api.SessionAuth(), api_throttle.AnonymousRateThrottle()],
    throttle=[api_throttle.TokenRateThrottle(), api_throttle.SessionRateThrottle()],
)
for router in (
    accounts_api.router,
    library_api.router,
    homework_api.router,
    api_review.router,
    api_plan_changes.router,
    research_api.router,
):
    api.add_router("", router)


@api.exception_handler(MFARequired)
def mfa_required(request: HttpRequest, exc: MFARequired) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(TokenRefused)
def token_refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
