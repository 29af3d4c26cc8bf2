"""'Keep me logged in on this device': unticked, the session ends with the browser (also through the TOTP step);
ticked, it lasts SESSION_COOKIE_AGE, and the staff idle timeout still applies."""

from __future__ import annotations

import time

import pyotp
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client

from emotipal.accounts import idle
from tests.factories import PASSWORD, World


def log_in(world: World, email: str, remember: bool) -> Client:
    http = world.login(None)
    form = {"login": email, "password": PASSWORD} | ({"remember": "on"} if remember else {})
    assert http.post("/accounts/login/", form).status_code == 302
    return http


def test_the_login_page_offers_the_choice(world: World) -> None:
    page = world.login(None).get("/accounts/login/").content.decode()
    assert 'type="checkbox" name="remember"' in page and "Keep me logged in on this device" in page


def test_unticked_the_session_ends_with_the_browser(world: World) -> None:
    http = log_in(world, world.client_a.user.email, remember=False)
    assert http.session.get_expire_at_browser_close()
    cookie = http.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert http.get("/today/").status_code == 200


def test_ticked_the_session_lasts(world: World) -> None:
    http = log_in(world, world.client_a.user.email, remember=True)
    session = http.session
    assert not session.get_expire_at_browser_close()
    assert session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert http.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_the_choice_survives_the_totp_step(world: World) -> None:
    secret = generate_totp_secret()
    TOTP.activate(world.therapist, secret)
    http = log_in(world, world.therapist.email, remember=False)
    assert http.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert http.session.get("_auth_user_id") == str(world.therapist.pk)
    assert http.session.get_expire_at_browser_close()


def test_a_remembered_staff_session_still_ends_when_idle(world: World) -> None:
    http = log_in(world, world.therapist.email, remember=True)
    session = http.session
    session[idle.SESSION_KEY] = int(time.time()) - 31 * 60
    session.save()
    assert http.get("/clients/").status_code == 302
    assert "_auth_user_id" not in http.session
