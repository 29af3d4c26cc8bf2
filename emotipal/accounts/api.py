"""The account operations of the JSON API (who am I, personal API tokens) and how the API authenticates.

Authentication: a personal access token (`Authorization: Bearer ep_...`) or the browser session (with CSRF);
either way the clinic's MFA policy applies, as on the pages. A token that has expired or was revoked gets a 401
saying so. Operations the pages guard with a recent login (exports, new tokens: accounts/reauth.py) ask the
same of a browser session; a token is not asked (it is not a session; see reauth.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from emotipal.accounts import access, api_throttle
from emotipal.accounts import services as account_services
from emotipal.accounts.mfa_policy import MFA_REQUIRED_MESSAGE, must_set_up_mfa
from emotipal.accounts.models import ApiToken, User
from emotipal.accounts.reauth import recently_authenticated, stale_session_message

router = Router()


def _refuse_without_required_mfa(user: Any) -> None:
    """The pages' MFA gate, for the API: 403 with a JSON message instead of a redirect.

    Applied to tokens too, so a token made before the clinic required MFA does not get around it.
    """
    if must_set_up_mfa(user):
        raise HttpError(403, str(MFA_REQUIRED_MESSAGE))


class TokenAuth(HttpBearer):
    """request.auth is the token (the API's throttling counts per token), request.user its owner."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        try:
            found = account_services.token_for_secret(token)
        except account_services.TokenRefused:
            # A 401 with the reason (emotipal/api.py), but counted first as an unauthenticated request of this
            # address (429 once over its rate), so guessing tokens is limited like any other anonymous caller.
            _UNAUTHENTICATED(request)
            raise
        _refuse_without_required_mfa(found.user)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]  # which token, for token_of()
        return found


_UNAUTHENTICATED = api_throttle.AnonymousRateThrottle()


def token_of(request: HttpRequest) -> ApiToken | None:
    """The API token the request came with, or None for a browser session."""
    return getattr(request, "api_token", None)


def refuse_stale_session(request: HttpRequest) -> None:
    """What the pages ask before an export or a new token, asked of a browser session calling the API (403
    with a message; the API never redirects). A request with a token passes: see accounts/reauth.py."""
    if token_of(request) is None and not recently_authenticated(request):
        raise HttpError(403, stale_session_message())


class SessionAuth(NinjaSessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            _refuse_without_required_mfa(user)
        return user


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    roles: list[str]
    is_client: bool


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    # Empty: settings.API_TOKEN_DAYS. More than settings.API_TOKEN_MAX_DAYS is refused with a message (422).
    days_valid: int | None = Field(None, ge=1)


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str


# --- everyone's own account -------------------------------------------------------------------------------------------------


@router.get("/me", response=MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "id": user.pk,
        "email": user.email,  # type: ignore[union-attr]
        "display_name": getattr(user, "display_name", ""),
        "roles": sorted(access.roles_of(user)),
        "is_client": access.is_client(user),
    }


@router.get("/tokens", response=list[TokenOut], tags=["account"])
def list_tokens(request: HttpRequest) -> Any:
    assert isinstance(request.user, User)
    return ApiToken.objects.filter(user=request.user).order_by("-created_at")


@router.post("/tokens", response={201: NewTokenOut}, tags=["account"])
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    assert isinstance(request.user, User)
    refuse_stale_session(request)
    new = account_services.create_api_token(
        request.user, payload.name, days_valid=payload.days_valid, made_with=token_of(request)
    )
    data = TokenOut.from_orm(new.token).model_dump()
    return Status(201, {**data, "token": new.secret})


@router.delete("/tokens/{token_id}", response={204: None}, tags=["account"])
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    assert isinstance(request.user, User)
    if not account_services.revoke_api_token(request.user, token_id):
        raise HttpError(404, "Not Found")
    return Status(204, None)
