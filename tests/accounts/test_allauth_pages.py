"""The account pages EmotiPal relies on from django-allauth render in EmotiPal's layout and work."""

from __future__ import annotations

import re

import pyotp
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, World


def logged_in(world: World, email: str) -> Client:
    """Log in, then confirm the password as allauth asks before security changes such as adding MFA."""
    http = world.login(None)
    assert http.post("/accounts/login/", {"login": email, "password": PASSWORD}).status_code == 302
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


def test_password_reset_sends_a_link(world: World) -> None:
    http = world.login(None)
    assert http.get("/accounts/password/reset/").status_code == 200
    response = http.post("/accounts/password/reset/", {"email": world.client_a.user.email})
    assert response.status_code == 302
    assert mail.outbox and re.search(r"/accounts/password/reset/key/", mail.outbox[-1].body)


def test_totp_activation_with_recovery_codes(world: World) -> None:
    http = logged_in(world, world.therapist.email)
    page = http.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200 and b"EmotiPal" in page.content
    secret = page.context["form"].secret
    response = http.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    types = set(Authenticator.objects.filter(user=world.therapist).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_login_then_asks_for_the_code_when_mfa_is_on(world: World) -> None:
    http = logged_in(world, world.therapist.email)
    secret = http.get("/accounts/2fa/totp/activate/").context["form"].secret
    http.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    fresh = world.login(None)
    response = fresh.post("/accounts/login/", {"login": world.therapist.email, "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    assert fresh.get("/clients/").status_code == 302  # not logged in until the code is given


def test_wrong_password_is_told_plainly_and_keeps_the_address(world: World) -> None:
    response = world.login(None).post(
        "/accounts/login/", {"login": world.client_a.user.email, "password": "nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert world.client_a.user.email.encode() in response.content
