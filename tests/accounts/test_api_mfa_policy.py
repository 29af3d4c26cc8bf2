"""The clinic's staff-MFA policy holds for the API as for the pages: one gate, sessions and tokens alike."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from emotipal.accounts import services
from emotipal.accounts.mfa_policy import MFARequired, must_set_up_mfa
from emotipal.accounts.models import ApiToken
from tests.factories import World

METHODS = ("get", "post", "put", "patch", "delete")


def require_mfa(world: World) -> None:
    world.clinic.require_staff_mfa = True
    world.clinic.save()


def operations(http: Client) -> list[tuple[str, str]]:
    schema = http.get("/api/v1/openapi.json").json()
    found = [
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    ]
    assert len(found) > 20  # the walk really covers the API
    return found


def call(http: Client, method: str, path: str, **extra: Any) -> Any:
    return getattr(http, method)(path, data={}, content_type="application/json", **extra)


def assert_refused(response: Any, what: str) -> None:
    assert response.status_code == 403, what
    assert "two-factor" in response.json()["detail"], what


def test_every_api_operation_refuses_a_staff_session_without_required_mfa(world: World) -> None:
    require_mfa(world)
    http = world.login(world.therapist)
    for method, path in operations(http):
        assert_refused(call(http, method, path), f"{method.upper()} {path}")
    assert not ApiToken.objects.filter(user=world.therapist).exists()


def test_a_token_made_before_the_policy_does_not_bypass_it(world: World) -> None:
    new = services.create_api_token(world.therapist, "made before the policy")
    require_mfa(world)
    http = world.login(None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {new.secret}"}
    for method, path in operations(http):
        assert_refused(call(http, method, path, **auth), f"{method.upper()} {path}")
    assert ApiToken.objects.filter(user=world.therapist).count() == 1


def test_no_token_can_be_created_before_mfa(world: World) -> None:
    require_mfa(world)
    http = world.login(world.therapist)
    page = http.post("/settings/tokens/", {"name": "script"})
    assert page.status_code == 302 and "/accounts/2fa/totp/activate/" in page["Location"]
    api = http.post("/api/v1/tokens", {"name": "script"}, content_type="application/json")
    assert_refused(api, "POST /api/v1/tokens")
    with pytest.raises(MFARequired):
        services.create_api_token(world.therapist, "script")
    assert not ApiToken.objects.exists()


def test_with_totp_set_up_or_as_a_client_the_api_answers(world: World) -> None:
    require_mfa(world)
    new = services.create_api_token(world.client_a.user, "client app")
    assert world.login(None).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new.secret}").status_code == 200
    assert world.login(world.client_a.user).get("/api/v1/me").status_code == 200
    Authenticator.objects.create(user=world.therapist, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert not must_set_up_mfa(world.therapist)
    http = world.login(world.therapist)
    assert http.get("/api/v1/me").status_code == 200
    created = http.post("/api/v1/tokens", {"name": "ok now"}, content_type="application/json")
    assert created.status_code == 201


def test_the_one_rule(world: World) -> None:
    assert not must_set_up_mfa(world.therapist)  # policy off
    require_mfa(world)
    assert must_set_up_mfa(world.therapist) and must_set_up_mfa(world.admin)
    assert not must_set_up_mfa(world.client_a.user)
    assert not must_set_up_mfa(world.foreign_therapist)  # another clinic's policy
