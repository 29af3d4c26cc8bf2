"""Authentication events in the audit trail: logins, failed logins, logouts, MFA changes and token use."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from emotipal.accounts import services
from emotipal.accounts.models import ApiToken
from emotipal.platform.audit.models import AuditEvent
from tests.factories import PASSWORD, World

WRONG_PASSWORD = "hunter2 is not my password"


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def stored_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


def test_login_and_logout_are_recorded(world: World) -> None:
    http = world.login(None)
    user = world.therapist
    assert http.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    [login] = rows("auth.login")
    assert login.actor_id == user.pk and login.target_id == str(user.pk)
    assert http.post("/accounts/logout/").status_code == 302
    [logout] = rows("auth.logout")
    assert logout.actor_id == user.pk


def test_a_failed_login_records_the_account_but_never_the_password(world: World) -> None:
    http = world.login(None)
    http.post("/accounts/login/", {"login": world.therapist.email, "password": WRONG_PASSWORD})
    [failed] = rows("auth.login_failed")
    assert failed.actor_id is None
    assert failed.target_type == "accounts.user" and failed.target_id == str(world.therapist.pk)
    assert failed.detail == {"known_account": True}
    assert WRONG_PASSWORD not in stored_text()
    assert not rows("auth.login")


def test_a_failed_login_for_an_unknown_address_stores_no_user(world: World) -> None:
    http = world.login(None)
    http.post("/accounts/login/", {"login": "nobody@example.org", "password": WRONG_PASSWORD})
    [failed] = rows("auth.login_failed")
    assert failed.actor_id is None and failed.target_id == "" and failed.subject_user_id is None
    assert failed.detail == {"known_account": False}
    text = stored_text()
    assert "nobody@example.org" not in text and WRONG_PASSWORD not in text


def logged_in_for_security_changes(world: World) -> Client:
    http = world.login(None)
    assert (
        http.post("/accounts/login/", {"login": world.therapist.email, "password": PASSWORD}).status_code
        == 302
    )
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


def test_totp_activation_codes_and_deactivation_are_recorded(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    http = logged_in_for_security_changes(world)
    secret = http.get("/accounts/2fa/totp/activate/").context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        done = http.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    [activated] = rows("mfa.totp.activate")
    assert activated.actor_id == world.therapist.pk and activated.detail == {"authenticator_type": "totp"}
    assert len(rows("mfa.recovery_codes.generate")) == 1  # made together with TOTP
    with django_capture_on_commit_callbacks(execute=True):
        regenerated = http.post("/accounts/2fa/recovery-codes/generate/")
    assert regenerated.status_code == 302
    assert len(rows("mfa.recovery_codes.generate")) == 2
    with django_capture_on_commit_callbacks(execute=True):
        off = http.post("/accounts/2fa/totp/deactivate/")
    assert off.status_code == 302
    assert not Authenticator.objects.filter(user=world.therapist, type=Authenticator.Type.TOTP).exists()
    [deactivated] = rows("mfa.totp.deactivate")
    assert deactivated.actor_id == world.therapist.pk


def test_token_use_is_recorded_once_an_hour_and_last_use_kept(world: World) -> None:
    new = services.create_api_token(world.therapist, "script")
    http = world.login(None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {new.secret}"}
    for _ in range(3):
        assert http.get("/api/v1/me", **auth).status_code == 200
    [use] = rows("api_token.use")
    assert use.actor_id == world.therapist.pk
    assert use.target_type == "accounts.apitoken" and use.target_id == str(new.token.pk)
    token = ApiToken.objects.get(pk=new.token.pk)
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < dt.timedelta(minutes=1)
    # Two hours later the next use writes the next row.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(hours=2))
    assert http.get("/api/v1/me", **auth).status_code == 200
    assert len(rows("api_token.use")) == 2
    # A refused token writes no use.
    services.revoke_api_token(world.therapist, token.pk)
    assert http.get("/api/v1/me", **auth).status_code == 401
    assert len(rows("api_token.use")) == 2


def test_a_wrong_totp_code_is_recorded_against_the_account(world: World) -> None:
    TOTP.activate(world.therapist, generate_totp_secret())
    http = world.login(None)
    http.post("/accounts/login/", {"login": world.therapist.email, "password": PASSWORD})
    assert http.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    [failed] = rows("auth.mfa_failed")
    assert failed.actor_id is None and failed.target_id == str(world.therapist.pk)
    assert not rows("auth.login")
