"""A supervisor reads their current supervisees' clients, read only, audited; nobody else's, and never writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from emotipal.accounts import access
from emotipal.accounts.models import ClientProfile, Membership, Role, SupervisionLink
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, make_user
from tests.supervision.helpers import supervisor_of

pytestmark = pytest.mark.django_db


def test_supervisor_sees_supervisees_clients_only(world: World) -> None:
    supervisor = supervisor_of(world)
    colleague_client = ClientProfile.objects.create(
        user=make_user("c.colleague@example.org", "Col Client"),
        clinic=world.clinic,
        therapist=world.colleague,
    )
    visible = set(access.visible_clients(supervisor))
    assert visible == {world.client_a, world.client_b}
    assert colleague_client not in visible and world.client_other_clinic not in visible
    assert not access.caseload(supervisor).exists()  # not on a caseload: nothing to write to
    assert not access.can_assign_to(supervisor, world.client_a)


def test_link_in_another_clinic_or_ended_or_deactivated_gives_nothing(world: World) -> None:
    supervisor = supervisor_of(world)
    SupervisionLink.objects.update(ended_at=timezone.now())
    assert not access.visible_clients(supervisor).exists()
    # A link naming the other clinic's therapist in this clinic matches no client of either clinic.
    SupervisionLink.objects.create(
        clinic=world.clinic, supervisor=supervisor, therapist=world.foreign_therapist, created_by=world.admin
    )
    assert not access.visible_clients(supervisor).exists()
    SupervisionLink.objects.filter(ended_at__isnull=False).update(ended_at=None)
    Membership.objects.filter(user=supervisor).update(deactivated_at=timezone.now())
    assert not access.visible_clients(supervisor).exists()


def test_reading_a_supervised_client_is_audited_as_supervision(world: World) -> None:
    supervisor = supervisor_of(world)
    http = world.login(supervisor)
    assert http.get(f"/clients/{world.client_a.pk}/").status_code == 200
    event = AuditEvent.objects.filter(actor=supervisor, action="read.supervision").get()
    assert event.subject_user_id == world.client_a.user_id and event.detail == {"via": "supervision"}
    assert http.get(f"/clients/{world.client_other_clinic.pk}/").status_code == 404


def test_therapist_reads_are_not_marked_supervision(world: World) -> None:
    world.login(world.therapist).get(f"/clients/{world.client_a.pk}/")
    assert not AuditEvent.objects.filter(action="read.supervision").exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/clients/{c}/assign/", {}),
        ("/clients/{c}/sessions/", {"date": "2026-02-02"}),
        ("/clients/{c}/end/", {}),
        ("/clients/{c}/look-back/", {"quantity": "3", "quality": "2"}),
        ("/clients/{c}/measures/schedule/", {"kind": "weekly"}),
    ],
)
def test_supervisor_cannot_write(world: World, path: str, data: dict[str, Any]) -> None:
    supervisor = supervisor_of(world)
    response = world.login(supervisor).post(path.format(c=world.client_a.pk), data)
    assert response.status_code in (403, 404)
    world.client_a.refresh_from_db()
    assert world.client_a.discharged_on is None
    assert not world.client_a.sessions.exists()


def test_supervisor_who_is_also_a_therapist_cannot_write_to_supervised_clients(world: World) -> None:
    supervisor = supervisor_of(world, link_to=world.therapist)
    Membership.objects.create(user=supervisor, clinic=world.clinic, role=Role.THERAPIST)
    http = world.login(supervisor)
    assert http.post(f"/clients/{world.client_a.pk}/end/").status_code == 404
    assert http.post(f"/clients/{world.client_a.pk}/sessions/", {"date": "2026-02-02"}).status_code == 404
    assert not world.client_a.sessions.exists()


def test_supervised_clients_alerts_stay_with_the_treating_clinicians(world: World) -> None:
    from emotipal.measures.models import Instrument
    from emotipal.measures.services import ask_now, save_answers, visible_alerts

    response = ask_now(world.therapist, world.client_a, Instrument.objects.get(key="phq9", clinic=None))
    save_answers(world.client_a.user, response.pk, {f"phq9_{i}": 1 for i in range(1, 10)}, submit=True)
    assert visible_alerts(world.therapist).filter(client=world.client_a).exists()
    supervisor = supervisor_of(world)
    Membership.objects.create(user=supervisor, clinic=world.clinic, role=Role.THERAPIST)
    assert access.get_visible_client(supervisor, world.client_a.pk)  # they may read the client...
    assert not visible_alerts(supervisor).exists()  # ...but the alert is not theirs to act on


def test_the_client_page_offers_a_supervisor_no_controls(world: World) -> None:
    supervisor = supervisor_of(world)
    page = world.login(supervisor).get(f"/clients/{world.client_a.pk}/").content.decode()
    assert 'id="read-only"' in page
    for action in ("/assign/", "/sessions/", "/end/"):
        assert f'/clients/{world.client_a.pk}{action}"' not in page
    own = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    assert 'id="read-only"' not in own and f'/clients/{world.client_a.pk}/assign/"' in own
