"""Inviting a support person, and accepting: one-use token (only its hash stored), 14 days, withdrawable,
refused to staff and clients, and a login that goes through the normal login."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail

from emotipal.accounts.mfa_policy import must_set_up_mfa
from emotipal.accounts.models import ClientProfile, Membership, User
from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent
from emotipal.support import access
from emotipal.support.models import SupportLink
from tests.factories import PASSWORD, World
from tests.support.support_factory import COACH_EMAIL, coach_for, invite, token_of


def _invite_by_page(world: World, **extra: str) -> Any:
    data = {"action": "invite", "name": "Cora Coach", "email": COACH_EMAIL, **extra}
    return world.login(world.client_a.user).post("/support/", data)


def test_the_client_invites_by_name_and_email_and_only_the_hash_is_kept(world: World) -> None:
    response = _invite_by_page(world, share_days="on")
    assert response.status_code == 302
    link = SupportLink.objects.get(client=world.client_a)
    assert (link.name, link.email, link.share_days, link.share_goal) == (
        "Cora Coach",
        COACH_EMAIL,
        True,
        False,
    )
    assert link.coach is None and link.ended_at is None
    assert abs((link.expires_at - link.invited_at) - dt.timedelta(days=14)) < dt.timedelta(seconds=1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [COACH_EMAIL]
    token = token_of(next(w for w in mail.outbox[0].body.split() if "/support/accept/" in w))
    assert link.token_hash == SupportLink.hash_token(token) and token not in link.token_hash
    assert AuditEvent.objects.filter(
        action="support.invite", actor=world.client_a.user, subject_user_id=world.client_a.user_id
    ).exists()


def test_bad_invitations_change_nothing(world: World) -> None:
    http = world.login(world.client_a.user)
    for data, words in (
        ({"name": " ", "email": COACH_EMAIL}, "Write the name"),
        ({"name": "Cora", "email": "not-an-address"}, "valid e-mail"),
        ({"name": "Cora", "email": world.client_a.user.email.upper()}, "your own address"),
        ({"name": "x" * 121, "email": COACH_EMAIL}, "120 characters"),
        ({"name": "Co\x00ra", "email": COACH_EMAIL}, "NUL character"),
    ):
        response = http.post("/support/", {"action": "invite", **data})
        assert response.status_code == 400 and words in response.content.decode(), data
    assert not SupportLink.objects.exists() and not mail.outbox


def test_one_support_person_at_a_time(world: World) -> None:
    invite(world.client_a)
    response = _invite_by_page(world, email="second@example.org")
    assert response.status_code == 400 and "one support person at a time" in response.content.decode()
    assert SupportLink.objects.filter(client=world.client_a).count() == 1


def test_accepting_creates_a_coach_account_and_logs_in_normally(world: World) -> None:
    link, token = invite(world.client_a, share_days=True)
    http = world.login(None)
    assert http.get(f"/support/accept/{token}/").status_code == 200
    response = http.post(
        f"/support/accept/{token}/", {"display_name": "Cora", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/support/coach/"
    coach = User.objects.get(email=COACH_EMAIL)
    link.refresh_from_db()
    assert link.coach == coach and link.accepted_at is not None
    assert not Membership.objects.filter(user=coach).exists()
    assert not ClientProfile.objects.filter(user=coach).exists()
    assert access.is_coach(coach)
    assert http.get("/support/coach/").status_code == 200  # logged in by allauth's flow
    assert AuditEvent.objects.filter(action="support.accept", actor=coach).exists()
    # Later logins are the normal login page; home is the coach's page.
    again = world.login(None)
    login = again.post("/accounts/login/", {"login": COACH_EMAIL, "password": PASSWORD})
    assert login.status_code == 302
    assert again.get("/")["Location"] == "/support/coach/"


def test_no_mfa_is_demanded_of_a_coach_even_in_an_mfa_clinic(world: World) -> None:
    world.clinic.require_staff_mfa = True
    world.clinic.save()
    coach, _link = coach_for(world.client_a)
    # The clinic's policy is about staff, who see many people's data; a coach sees one person's shared ticks.
    assert not must_set_up_mfa(coach)
    assert world.login(coach).get("/support/coach/").status_code == 200


def test_a_used_token_is_refused(world: World) -> None:
    _link, token = invite(world.client_a)
    world.login(None).post(f"/support/accept/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    response = world.login(None).get(f"/support/accept/{token}/")
    assert response.status_code == 410 and "already been used" in response.content.decode()


def test_an_expired_token_is_refused_and_the_client_may_invite_again(world: World) -> None:
    link, token = invite(world.client_a)
    SupportLink.objects.filter(pk=link.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    response = world.login(None).post(
        f"/support/accept/{token}/", {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(email=COACH_EMAIL).exists()
    page = world.login(world.client_a.user).get("/support/")
    assert "invitation-expired" in page.content.decode() and "invite-form" in page.content.decode()
    assert _invite_by_page(world).status_code == 302
    assert SupportLink.objects.filter(client=world.client_a, ended_at__isnull=True).count() == 1


def test_a_withdrawn_invitation_is_refused(world: World) -> None:
    link, token = invite(world.client_a)
    assert world.login(world.client_a.user).post("/support/end/").status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    response = world.login(None).get(f"/support/accept/{token}/")
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="support.invitation_withdrawn", actor=world.client_a.user
    ).exists()


def test_a_wrong_token_is_refused(world: World) -> None:
    response = world.login(None).get("/support/accept/not-a-token/")
    assert response.status_code == 410 and "not valid" in response.content.decode()


def test_a_staff_address_cannot_become_a_coach(world: World) -> None:
    _link, token = invite(world.client_a, world.therapist.email)
    # Anonymous: the address has an account, so its owner must log in first; nothing is created.
    anon = world.login(None).post(f"/support/accept/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    assert anon.status_code == 403 and "Log in to accept" in anon.content.decode()
    http = world.login(world.therapist)
    for response in (http.get(f"/support/accept/{token}/"), http.post(f"/support/accept/{token}/")):
        assert response.status_code == 403
        assert "cannot be a support person" in response.content.decode()
    assert not SupportLink.objects.filter(coach__isnull=False).exists()
    assert not access.is_coach(world.therapist)


def test_a_client_address_cannot_become_a_coach(world: World) -> None:
    _link, token = invite(world.client_a, world.client_b.user.email)
    response = world.login(world.client_b.user).post(f"/support/accept/{token}/")
    assert response.status_code == 403 and "cannot be a support person" in response.content.decode()
    assert not SupportLink.objects.filter(coach__isnull=False).exists()


def test_an_existing_coach_logs_in_and_accepts_a_second_client(world: World) -> None:
    coach, _ = coach_for(world.client_a)
    link, token = invite(world.client_b)
    anon = world.login(None).get(f"/support/accept/{token}/")
    assert "Log in to accept" in anon.content.decode()
    http = world.login(coach)
    assert http.get(f"/support/accept/{token}/").status_code == 200
    assert http.post(f"/support/accept/{token}/").status_code == 302
    link.refresh_from_db()
    assert link.coach == coach


def test_someone_else_logged_in_is_refused(world: World) -> None:
    _link, token = invite(world.client_a)
    response = world.login(world.client_b.user).get(f"/support/accept/{token}/")
    assert response.status_code == 403 and "logged in as" in response.content.decode()


def test_an_invitation_whose_email_fails_is_not_kept(world: World, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.support.failing_mail.RefusingBackend"
    response = _invite_by_page(world)
    assert response.status_code == 400 and "could not be sent" in response.content.decode()
    assert not SupportLink.objects.exists()
    assert not AuditEvent.objects.filter(action="support.invite").exists()


def test_an_unknown_action_changes_nothing(world: World) -> None:
    link, _token = invite(world.client_a, share_days=True)
    response = world.login(world.client_a.user).post("/support/", {"action": "other", "share_goal": "on"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.share_days, link.share_goal, link.ended_at) == (True, False, None)
