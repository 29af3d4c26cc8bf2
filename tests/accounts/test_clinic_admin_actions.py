"""The clinic admin's staff, client and invitation actions: who may use them, what they change, their audit rows,
and that refused or bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from emotipal.accounts import access, services
from emotipal.accounts.models import ClientProfile, Invitation, Membership, Role, User
from emotipal.measures.escalation import clinic_admins
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, make_user

API = "/api/v1"


def _membership(user: User, world: World, role: str = Role.THERAPIST) -> Membership:
    return Membership.objects.get(user=user, clinic=world.clinic, role=role)


def _foreign_admin(world: World) -> User:
    other = make_user("other.admin@example.org", "Olu Otheradmin")
    Membership.objects.create(user=other, clinic=world.other_clinic, role=Role.ADMIN)
    return other


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _snapshot(world: World) -> tuple[Any, ...]:
    """What any clinic admin action could change."""
    return (
        sorted(Membership.objects.values_list("pk", "role", "deactivated_at")),
        sorted(ClientProfile.objects.values_list("pk", "therapist_id")),
        sorted(Invitation.objects.values_list("pk", "token_hash", "expires_at", "revoked_at")),
    )


# --- deactivating and reactivating ---------------------------------------------------------------------------


def test_a_deactivated_therapist_has_no_access_on_pages_or_api(world: World) -> None:
    secret = services.create_api_token(world.therapist, "script").secret
    membership = _membership(world.therapist, world)
    admin = world.login(world.admin)
    response = admin.post(f"/clinic/staff/{membership.pk}/deactivate/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.deactivated_at is not None
    assert AuditEvent.objects.filter(
        action="membership.deactivate", actor=world.admin, subject_user_id=world.therapist.pk
    ).exists()

    therapist = world.login(world.therapist)
    assert therapist.get("/clients/").status_code == 403
    assert therapist.get(f"/clients/{world.client_a.pk}/").status_code == 403
    api = world.login(None)
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert api.get(f"{API}/clients").status_code == 403
    assert api.get(f"{API}/clients/{world.client_a.pk}/entries").status_code in (403, 404)
    assert not access.visible_clients(world.therapist).exists()

    assert admin.post(f"/clinic/staff/{membership.pk}/reactivate/").status_code == 302
    assert AuditEvent.objects.filter(
        action="membership.reactivate", subject_user_id=world.therapist.pk
    ).exists()
    assert world.login(world.therapist).get("/clients/").status_code == 200
    assert api.get(f"{API}/clients").status_code == 200


def test_a_deactivated_admin_gets_no_alerts_and_no_admin_page(world: World) -> None:
    second = make_user("second.admin@example.org", "Sol Secondadmin")
    Membership.objects.create(user=second, clinic=world.clinic, role=Role.ADMIN)
    services.deactivate_membership(world.admin, world.clinic, _membership(second, world, Role.ADMIN).pk)
    assert second not in clinic_admins(world.clinic)
    assert world.login(second).get("/clinic/").status_code == 403


def test_an_admin_cannot_deactivate_or_remove_their_own_admin_role(world: World) -> None:
    own = _membership(world.admin, world, Role.ADMIN)
    before = _snapshot(world)
    admin = world.login(world.admin)
    for action in ("deactivate", "remove"):
        response = admin.post(f"/clinic/staff/{own.pk}/{action}/")
        assert response.status_code == 400
        assert "your own admin role" in response.content.decode()
    assert _snapshot(world) == before


def test_the_last_admin_of_a_clinic_is_kept(world: World) -> None:
    # Only an active admin may act, so the guard is reached when that admin is deactivated by a concurrent
    # request; the service refuses it all the same (checked here directly on the rule).
    second = make_user("second.admin@example.org", "Sol Secondadmin")
    theirs = Membership.objects.create(user=second, clinic=world.clinic, role=Role.ADMIN)
    services.deactivate_membership(world.admin, world.clinic, theirs.pk)
    own = _membership(world.admin, world, Role.ADMIN)
    assert services._is_last_admin(own)
    assert not services._is_last_admin(theirs)
    page = world.login(world.admin).get("/clinic/").content.decode()
    assert "Last admin" in page
    # Reactivated, the second admin may now take the first one's admin role away.
    services.reactivate_membership(world.admin, world.clinic, theirs.pk)
    services.deactivate_membership(second, world.clinic, own.pk)
    with pytest.raises(services.AdminError, match="your own admin role"):
        services.deactivate_membership(second, world.clinic, theirs.pk)


def test_only_the_clinics_own_admins_may_act(world: World) -> None:
    membership = _membership(world.colleague, world)
    invitation = services.invite(
        clinic=world.clinic, email="new.person@example.org", role=Role.THERAPIST, invited_by=world.admin
    ).invitation
    foreign_admin = world.login(_foreign_admin(world))
    before = _snapshot(world)
    posts = [
        (f"/clinic/staff/{membership.pk}/deactivate/", {}),
        (f"/clinic/staff/{membership.pk}/reactivate/", {}),
        (f"/clinic/staff/{membership.pk}/remove/", {}),
        (f"/clinic/invitations/{invitation.pk}/resend/", {}),
        (f"/clinic/invitations/{invitation.pk}/revoke/", {}),
        ("/clinic/staff/add-role/", {"person": world.colleague.pk, "role": Role.ADMIN}),
        ("/clinic/clients/reassign/", {"client": world.client_a.pk, "therapist": world.colleague.pk}),
    ]
    therapist = world.login(world.therapist)
    for path, data in posts:
        # Another clinic's admin: the ids are not found in their clinic (or not offered by its forms).
        assert foreign_admin.post(path, data).status_code in (400, 404), path
        assert therapist.post(path, data).status_code == 403, path
        assert world.login(world.admin).get(path).status_code == 405, path
    assert _snapshot(world) == before
    with pytest.raises(PermissionDenied):
        services.deactivate_membership(world.therapist, world.clinic, membership.pk)


# --- roles ---------------------------------------------------------------------------------------------------


def test_adding_and_removing_a_role(world: World) -> None:
    admin = world.login(world.admin)
    response = admin.post("/clinic/staff/add-role/", {"person": world.colleague.pk, "role": Role.SUPERVISOR})
    assert response.status_code == 302
    added = _membership(world.colleague, world, Role.SUPERVISOR)
    assert AuditEvent.objects.filter(action="membership.add", target_id=str(added.pk)).exists()
    again = admin.post("/clinic/staff/add-role/", {"person": world.colleague.pk, "role": Role.SUPERVISOR})
    assert again.status_code == 400 and "already has this role" in again.content.decode()
    assert admin.post(f"/clinic/staff/{added.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=added.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove", target_id=str(added.pk)).exists()


def test_bad_role_input_changes_nothing(world: World) -> None:
    admin = world.login(world.admin)
    before = _snapshot(world)
    assert (
        admin.post("/clinic/staff/add-role/", {"person": world.colleague.pk, "role": "king"}).status_code
        == 400
    )
    assert admin.post("/clinic/staff/add-role/", {"person": "x", "role": Role.ADMIN}).status_code == 400
    outsider = world.foreign_therapist.pk
    assert admin.post("/clinic/staff/add-role/", {"person": outsider, "role": Role.ADMIN}).status_code == 400
    assert admin.post("/clinic/staff/999999/deactivate/").status_code == 404
    # A therapist who still looks after clients keeps the role until they are reassigned.
    response = admin.post(f"/clinic/staff/{_membership(world.therapist, world).pk}/remove/")
    assert response.status_code == 400 and "Reassign them first" in response.content.decode()
    assert _snapshot(world) == before


# --- reassigning clients ----------------------------------------------------------------------------------------


def test_a_reassigned_client_is_visible_only_to_the_new_therapist(world: World) -> None:
    admin = world.login(world.admin)
    response = admin.post(
        "/clinic/clients/reassign/", {"client": world.client_a.pk, "therapist": world.colleague.pk}
    )
    assert response.status_code == 302
    world.client_a.refresh_from_db()
    assert world.client_a.therapist_id == world.colleague.pk
    assert world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").status_code == 404
    assert world.login(world.colleague).get(f"/clients/{world.client_a.pk}/").status_code == 200
    row = AuditEvent.objects.get(action="client.reassign")
    assert (row.actor_id, row.subject_user_id, row.clinic_id) == (
        world.admin.pk,
        world.client_a.user_id,
        world.clinic.pk,
    )


def test_a_client_cannot_be_moved_to_a_deactivated_or_foreign_therapist(world: World) -> None:
    services.deactivate_membership(world.admin, world.clinic, _membership(world.colleague, world).pk)
    before = _snapshot(world)
    admin = world.login(world.admin)
    for therapist in (world.colleague, world.foreign_therapist, world.therapist):
        response = admin.post(
            "/clinic/clients/reassign/", {"client": world.client_a.pk, "therapist": therapist.pk}
        )
        assert response.status_code == 400
    other = world.client_other_clinic.pk
    assert (
        admin.post(
            "/clinic/clients/reassign/", {"client": other, "therapist": world.therapist.pk}
        ).status_code
        == 400
    )
    with pytest.raises(services.AdminError):
        services.reassign_client(world.admin, world.clinic, world.client_a.pk, world.colleague.pk)
    assert _snapshot(world) == before


# --- invitations ------------------------------------------------------------------------------------------------


def test_resending_an_invitation_replaces_its_link(world: World) -> None:
    first = services.invite(
        clinic=world.clinic, email="new.person@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    Invitation.objects.filter(pk=first.invitation.pk).update(expires_at=timezone.now())
    response = world.login(world.admin).post(f"/clinic/invitations/{first.invitation.pk}/resend/")
    assert response.status_code == 200
    page = response.content.decode()
    new_url = response.context["new_link"]
    assert new_url in page and 'id="invite-link"' in page
    assert _token(new_url) != _token(first.url)
    anon = world.login(None)
    assert anon.get(f"/invite/{_token(first.url)}/").status_code == 410
    assert anon.get(f"/invite/{_token(new_url)}/").status_code == 200
    refreshed = Invitation.objects.get(pk=first.invitation.pk)
    assert refreshed.expires_at > timezone.now()
    assert AuditEvent.objects.filter(action="invitation.resend", target_id=str(refreshed.pk)).exists()
    with pytest.raises(services.InvitationError):
        services.accept_invitation(_token(first.url), password="a-Long-pass-phrase-42")


def test_a_revoked_invitation_shows_the_invalid_invitation_page(world: World) -> None:
    new = services.invite(
        clinic=world.clinic, email="new.person@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    admin = world.login(world.admin)
    assert admin.post(f"/clinic/invitations/{new.invitation.pk}/revoke/").status_code == 302
    assert AuditEvent.objects.filter(action="invitation.revoke", target_id=str(new.invitation.pk)).exists()
    response = world.login(None).get(f"/invite/{_token(new.url)}/")
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert "accounts/invitation_invalid.html" in [t.name for t in response.templates]
    # Nothing more to do with it: neither resent nor revoked again.
    before = _snapshot(world)
    assert admin.post(f"/clinic/invitations/{new.invitation.pk}/resend/").status_code == 400
    assert admin.post(f"/clinic/invitations/{new.invitation.pk}/revoke/").status_code == 400
    assert _snapshot(world) == before


def test_an_accepted_invitation_cannot_be_resent(world: World) -> None:
    new = services.invite(
        clinic=world.clinic, email="new.person@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    services.accept_invitation(_token(new.url), password="a-Long-pass-phrase-42")
    before = _snapshot(world)
    response = world.login(world.admin).post(f"/clinic/invitations/{new.invitation.pk}/resend/")
    assert response.status_code == 400 and "already been accepted" in response.content.decode()
    assert _snapshot(world) == before


# --- the page -----------------------------------------------------------------------------------------------


def test_the_admin_page_lists_staff_and_clients_in_few_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        person = make_user(f"staff{n}@example.org", f"Staff {n}")
        Membership.objects.create(user=person, clinic=world.clinic, role=Role.THERAPIST)
        services.invite(
            clinic=world.clinic, email=f"inv{n}@example.org", role=Role.TRAINEE, invited_by=world.admin
        )
    admin = world.login(world.admin)
    admin.get("/clinic/")  # warm the session and caches
    with django_assert_max_num_queries(19):
        response = admin.get("/clinic/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "staff5@example.org" in page and "inv5@example.org" in page
    # The reassign list names the clinic's clients: that read is audited.
    assert AuditEvent.objects.filter(
        action="read.clinic_admin.clients", actor=world.admin, subject_user_id=world.client_a.user_id
    ).exists()


def test_a_deactivated_therapists_alerts_go_to_the_clinic_admins(world: World) -> None:
    from emotipal.measures.escalation import alert_recipients
    from emotipal.measures.models import Instrument
    from emotipal.measures.services import ask_now, save_answers

    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    asked = ask_now(world.therapist, world.client_a, phq9)
    alert = save_answers(world.client_a.user, asked.pk, {"phq9_9": 2}).alert
    assert alert is not None
    assert alert_recipients(alert) == [world.therapist.email]
    services.deactivate_membership(world.admin, world.clinic, _membership(world.therapist, world).pk)
    assert alert_recipients(alert) == [world.admin.email]


def test_inviting_a_deactivated_member_points_to_reactivation(world: World) -> None:
    services.deactivate_membership(world.admin, world.clinic, _membership(world.colleague, world).pk)
    with pytest.raises(services.InvitationError, match="reactivate it"):
        services.invite(
            clinic=world.clinic, email=world.colleague.email, role=Role.THERAPIST, invited_by=world.admin
        )
    assert not Invitation.objects.exists()


def test_every_form_on_a_refusal_page_posts_to_its_own_route(world: World) -> None:
    # The action routes answer with the admin page; its forms must not post back to the action's URL.
    own = _membership(world.admin, world, Role.ADMIN)
    page = world.login(world.admin).post(f"/clinic/staff/{own.pk}/deactivate/").content.decode()
    assert page.count("<form") == page.count('action="/')
