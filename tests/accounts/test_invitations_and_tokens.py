"""Invitations by e-mail link (one use, expiring), API tokens, closed sign-up, MFA policy, Argon2."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.utils import timezone

from emotipal.accounts import services
from emotipal.accounts.models import ApiToken, ClientProfile, Invitation, Membership, Role, User
from tests.factories import World

NEW_PASSWORD = "a long new password 42"


def token_from_mail() -> str:
    match = re.search(r"/invite/([\w-]+)/", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_client_invitation_end_to_end(world: World) -> None:
    http = world.login(world.admin)
    response = http.post(
        "/clinic/",
        {
            "action": "invite",
            "email": "New.Person@Example.org",
            "role": "client",
            "therapist": world.therapist.pk,
        },
    )
    assert response.status_code == 200
    assert mail.outbox[-1].to == ["new.person@example.org"]
    token = token_from_mail()
    anon = world.login(None)
    assert anon.get(f"/invite/{token}/").status_code == 200
    mismatch = anon.post(f"/invite/{token}/", {"password1": NEW_PASSWORD, "password2": "other"})
    assert mismatch.status_code == 400 and not User.objects.filter(email="new.person@example.org").exists()
    done = anon.post(
        f"/invite/{token}/", {"display_name": "Nia", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert ClientProfile.objects.get(user=user).therapist == world.therapist
    assert user.password.startswith("md5$") or user.check_password(NEW_PASSWORD)
    # The link works once.
    reused = world.login(None).get(f"/invite/{token}/")
    assert reused.status_code == 410 and b"already been used" in reused.content


def test_staff_invitation_gives_the_role(world: World) -> None:
    new = services.invite(
        clinic=world.clinic, email="sup@example.org", role=Role.SUPERVISOR, invited_by=world.admin
    )
    token = new.url.rstrip("/").rsplit("/", 1)[-1]
    user = services.accept_invitation(token, password=NEW_PASSWORD)
    assert Membership.objects.filter(user=user, clinic=world.clinic, role=Role.SUPERVISOR).exists()


def test_expired_and_unknown_links_are_refused_clearly(world: World) -> None:
    new = services.invite(
        clinic=world.clinic,
        email="late@example.org",
        role="client",
        invited_by=world.admin,
        therapist=world.therapist,
    )
    Invitation.objects.filter(pk=new.invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    token = new.url.rstrip("/").rsplit("/", 1)[-1]
    response = world.login(None).post(
        f"/invite/{token}/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 410 and b"expired" in response.content
    assert not User.objects.filter(email="late@example.org").exists()
    assert b"not valid" in world.login(None).get("/invite/nonsense/").content


def test_client_invitation_needs_a_therapist(world: World) -> None:
    response = world.login(world.admin).post(
        "/clinic/", {"action": "invite", "email": "x@example.org", "role": "client"}
    )
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_open_signup_is_closed(db: None, client: object) -> None:
    response = client.post(  # type: ignore[attr-defined]
        "/accounts/signup/",
        {"email": "walk-in@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert not User.objects.filter(email="walk-in@example.org").exists()
    assert response.status_code in {200, 403}


def test_api_token_lifecycle(world: World) -> None:
    new = services.create_api_token(world.therapist, "my script")
    assert new.secret.startswith("ep_") and not ApiToken.objects.filter(token_hash=new.secret).exists()
    http = world.login(None)
    ok = http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new.secret}")
    assert ok.status_code == 200 and ok.json()["email"] == world.therapist.email
    assert http.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ep_wrong").status_code == 401
    assert services.revoke_api_token(world.therapist, new.token.pk)
    assert http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new.secret}").status_code == 401
    assert not services.revoke_api_token(world.client_a.user, new.token.pk)


def test_expired_token_is_refused(world: World) -> None:
    new = services.create_api_token(world.therapist, "short", days_valid=1)
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert world.login(None).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new.secret}").status_code == 401


def test_clinic_policy_sends_staff_to_mfa_setup_but_not_clients(world: World) -> None:
    world.clinic.require_staff_mfa = True
    world.clinic.save()
    response = world.login(world.therapist).get("/clients/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]
    assert world.login(world.client_a.user).get("/today/").status_code == 200
    Authenticator.objects.create(user=world.therapist, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert world.login(world.therapist).get("/clients/").status_code == 200


def test_session_api_writes_need_csrf(world: World) -> None:
    from django.test import Client

    http = Client(enforce_csrf_checks=True)
    http.force_login(world.client_a.user)
    response = http.post("/api/v1/tokens", data={"name": "x"}, content_type="application/json")
    assert response.status_code in {401, 403}


@pytest.mark.parametrize("email", ["client.a@example.org"])
def test_login_with_email(world: World, email: str) -> None:
    from tests.factories import PASSWORD

    http = world.login(None)
    response = http.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert http.get("/").url == "/today/"


def test_new_account_starts_in_the_browsers_language(world: World) -> None:
    new = services.invite(
        clinic=world.clinic,
        email="nueva@example.org",
        role="client",
        invited_by=world.admin,
        therapist=world.therapist,
    )
    token = new.url.rstrip("/").rsplit("/", 1)[-1]
    response = world.login(None).post(
        f"/invite/{token}/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9",
    )
    assert response.status_code == 302
    assert User.objects.get(email="nueva@example.org").language == "es"
