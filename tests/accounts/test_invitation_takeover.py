"""Invitations cannot take over an existing account: its owner logs in the normal way (password, then TOTP
when enrolled) before the invited role is added; new accounts log in through allauth's flow."""

from __future__ import annotations

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client

from emotipal.accounts import services
from emotipal.accounts.models import ClientProfile, Invitation, Membership, Role, User
from tests.factories import PASSWORD, World

ATTACKER_PASSWORD = "attacker chose this 123"


def invite(world: World, email: str, role: str = Role.ADMIN) -> str:
    new = services.invite(
        clinic=world.clinic,
        email=email,
        role=role,
        invited_by=world.admin,
        therapist=world.therapist if role == Invitation.CLIENT else None,
    )
    return new.url.rstrip("/").rsplit("/", 1)[-1]


def is_logged_in(http: Client) -> bool:
    return "_auth_user_id" in http.session


def test_anyone_holding_the_link_cannot_take_over_an_existing_account(world: World) -> None:
    victim = world.foreign_therapist  # has an account (another clinic), no role here
    token = invite(world, victim.email.upper())
    attacker = world.login(None)
    statuses = [
        attacker.post(
            f"/invite/{token}/", {"display_name": "Mallory", "password1": password, "password2": password}
        ).status_code
        for password in (ATTACKER_PASSWORD, "wrong")
    ]
    assert not Membership.objects.filter(user=victim, clinic=world.clinic).exists()
    assert not is_logged_in(attacker)
    assert statuses == [403, 403]
    page = attacker.get(f"/invite/{token}/")
    assert page.status_code == 200 and b"Log in to accept" in page.content
    assert b"password1" not in page.content  # no form to choose a password for someone else's account
    assert attacker.get("/api/v1/me").status_code == 401
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD) and victim.display_name == "Fran Foreign"
    assert Invitation.objects.get(email=victim.email).accepted_at is None


def test_the_service_refuses_to_set_a_password_on_an_existing_account(world: World) -> None:
    token = invite(world, world.foreign_therapist.email)
    with pytest.raises(services.InvitationError, match="already exists"):
        services.accept_invitation(token, password=ATTACKER_PASSWORD)
    assert not Membership.objects.filter(user=world.foreign_therapist, clinic=world.clinic).exists()
    world.foreign_therapist.refresh_from_db()
    assert world.foreign_therapist.check_password(PASSWORD)


def test_the_owner_logs_in_with_totp_then_accepts(world: World) -> None:
    owner = world.foreign_therapist
    secret = generate_totp_secret()
    TOTP.activate(owner, secret)
    token = invite(world, owner.email)
    link = f"/invite/{token}/"
    http = world.login(None)
    page = http.get(link)
    login_url = page.context["login_url"]
    assert login_url.startswith("/accounts/login/") and "next=%2Finvite%2F" in login_url
    step = http.post("/accounts/login/", {"login": owner.email, "password": PASSWORD, "next": link})
    assert step.status_code == 302 and "/accounts/2fa/authenticate/" in step["Location"]
    # Password alone is not a login: the invitation still refuses.
    assert http.post(link).status_code == 403
    assert not Membership.objects.filter(user=owner, clinic=world.clinic).exists()
    done = http.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == link
    confirm = http.get(link)
    assert confirm.status_code == 200 and b"Accept the invitation" in confirm.content
    accepted = http.post(link)
    assert accepted.status_code == 302
    assert Membership.objects.filter(user=owner, clinic=world.clinic, role=Role.ADMIN).exists()
    invitation = Invitation.objects.get(email=owner.email)
    assert invitation.accepted_by == owner and invitation.accepted_at is not None
    # The existing account keeps its password and its other clinic.
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert Membership.objects.filter(user=owner, clinic=world.other_clinic).exists()


def test_an_invitation_for_someone_else_is_refused_to_the_logged_in_user(world: World) -> None:
    token = invite(world, world.foreign_therapist.email)
    http = world.login(world.client_other_clinic.user)
    response = http.post(f"/invite/{token}/")
    assert response.status_code == 403 and b"you are logged in as" in response.content
    # A logged-in person also cannot create the account of a new address: that is someone else's.
    new_token = invite(world, "fresh@example.org")
    form = {"password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD}
    assert http.post(f"/invite/{new_token}/", form).status_code == 403
    assert not User.objects.filter(email="fresh@example.org").exists()
    assert not Membership.objects.filter(clinic=world.clinic, user=world.client_other_clinic.user).exists()
    with pytest.raises(services.InvitationError, match="another e-mail"):
        services.accept_invitation_as(token, world.client_other_clinic.user)
    assert not Membership.objects.filter(user=world.foreign_therapist, clinic=world.clinic).exists()


def test_a_client_of_another_clinic_is_not_silently_marked_as_joined(world: World) -> None:
    person = world.client_other_clinic.user
    token = invite(world, person.email, role=Invitation.CLIENT)
    response = world.login(person).post(f"/invite/{token}/")
    assert response.status_code == 409 and b"another clinic" in response.content
    assert ClientProfile.objects.get(user=person).clinic == world.other_clinic
    assert Invitation.objects.get(email=person.email).accepted_at is None


def test_new_account_in_an_mfa_clinic_is_not_usable_before_totp(world: World) -> None:
    world.clinic.require_staff_mfa = True
    world.clinic.save()
    token = invite(world, "new.staff@example.org", role=Role.THERAPIST)
    http = world.login(None)
    form = {"display_name": "Nel", "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD}
    response = http.post(f"/invite/{token}/", form, follow=True)
    # Straight to TOTP set-up (allauth first asks to confirm the password, as after any login).
    last = response.redirect_chain[-1][0]
    assert last.startswith("/accounts/2fa/totp/activate/") or last.startswith(
        "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    user = User.objects.get(email="new.staff@example.org")
    assert Membership.objects.filter(user=user, clinic=world.clinic, role=Role.THERAPIST).exists()
    # Logged in through allauth's flow (its stages and backend), not a shortcut with a chosen backend.
    assert http.session["_auth_user_backend"] == "allauth.account.auth_backends.AuthenticationBackend"
    assert http.get("/clients/")["Location"].startswith("/accounts/2fa/totp/activate/")
    me = http.get("/api/v1/me")
    assert me.status_code == 403 and "two-factor" in me.json()["detail"]
    assert http.post("/api/v1/tokens", {"name": "x"}, content_type="application/json").status_code == 403
    assert not Authenticator.objects.filter(user=user).exists()


@pytest.mark.parametrize("who", ["therapist", "client"])
def test_inviting_someone_already_in_the_clinic_says_so(world: World, who: str) -> None:
    email = world.therapist.email if who == "therapist" else world.client_a.user.email
    response = world.login(world.admin).post(
        "/clinic/",
        {"action": "invite", "email": email.upper(), "role": Role.SUPERVISOR},
    )
    assert response.status_code == 400
    assert b"already has an account in this clinic" in response.content
    assert not Invitation.objects.exists() and not mail.outbox
