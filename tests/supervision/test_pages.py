"""Supervision pages: links set by the admin, the supervisee's figures, the observer form and agreement."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.accounts.models import Membership, Role, SupervisionLink
from emotipal.platform.audit.models import AuditEvent
from emotipal.supervision import queries, services
from emotipal.supervision.models import ObserverRating
from tests.factories import World, make_user
from tests.supervision.helpers import guided_assignment, supervisor_of

pytestmark = pytest.mark.django_db


def _supervisor_without_link(world: World, email: str = "sup2@example.org") -> Any:
    user = make_user(email, "Sue Supervisor")
    Membership.objects.create(user=user, clinic=world.clinic, role=Role.SUPERVISOR)
    return user


def test_admin_links_and_ends_supervision_with_audit(world: World) -> None:
    supervisor = _supervisor_without_link(world)
    http = world.login(world.admin)
    assert http.get("/clinic/supervision/").status_code == 200
    response = http.post(
        "/clinic/supervision/",
        {"supervisor": supervisor.pk, "therapists": [world.therapist.pk, world.colleague.pk]},
    )
    assert response.status_code == 302
    links = SupervisionLink.objects.filter(supervisor=supervisor, ended_at__isnull=True)
    assert links.count() == 2
    assert AuditEvent.objects.filter(actor=world.admin, action="supervision.link").count() == 2
    link = links.get(therapist=world.therapist)
    assert http.post(f"/clinic/supervision/{link.pk}/end/").status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    assert AuditEvent.objects.filter(action="supervision.end", target_id=str(link.pk)).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"therapists": ["THERAPIST"]},  # no supervisor
        {"supervisor": "THERAPIST", "therapists": ["THERAPIST"]},  # not a supervisor
        {"supervisor": "SUPERVISOR"},  # no therapist
        {"supervisor": "SUPERVISOR", "therapists": ["FOREIGN"]},  # another clinic's therapist
        {"supervisor": "SUPERVISOR", "therapists": ["x"]},
    ],
)
def test_bad_links_are_refused_and_change_nothing(world: World, data: dict[str, Any]) -> None:
    supervisor = _supervisor_without_link(world)
    ids = {
        "THERAPIST": world.therapist.pk,
        "SUPERVISOR": supervisor.pk,
        "FOREIGN": world.foreign_therapist.pk,
    }
    body = {
        k: ([ids.get(v, v) for v in val] if isinstance(val, list) else ids.get(val, val))
        for k, val in data.items()
    }
    response = world.login(world.admin).post("/clinic/supervision/", body)
    assert response.status_code == 400
    assert not SupervisionLink.objects.exists()


def test_admin_cannot_end_another_clinics_link(world: World) -> None:
    supervisor = supervisor_of(world)
    link = SupervisionLink.objects.get(supervisor=supervisor)
    other_admin = make_user("admin.other@example.org", "Other Admin")
    Membership.objects.create(user=other_admin, clinic=world.other_clinic, role=Role.ADMIN)
    world.login(other_admin).post(f"/clinic/supervision/{link.pk}/end/")
    link.refresh_from_db()
    assert link.ended_at is None


def test_supervisor_lands_on_supervision_and_sees_the_supervisee(world: World) -> None:
    supervisor = supervisor_of(world)
    http = world.login(supervisor)
    assert http.get("/").url == "/supervision/"
    page = http.get("/supervision/")
    assert world.therapist.display_name in page.content.decode()
    assert b'href="/supervision/"' in page.content  # in the navigation
    guided_assignment(world)
    page = http.get(f"/supervision/therapists/{world.therapist.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Guideline steps done, by phase" in html and "100%" in html
    # Not another therapist's page, nor one after the link ended.
    assert http.get(f"/supervision/therapists/{world.colleague.pk}/").status_code == 404
    SupervisionLink.objects.update(ended_at="2026-01-01T00:00:00Z")
    assert http.get(f"/supervision/therapists/{world.therapist.pk}/").status_code == 404


def test_supervisee_figures_are_aggregated(world: World) -> None:
    supervisor = supervisor_of(world)
    guided_assignment(world, world.client_a)
    guided_assignment(world, world.client_b, goal="A goal", rationale="")
    link = SupervisionLink.objects.get(supervisor=supervisor)
    figures = queries.supervisee_figures(link)
    [month] = figures.competence
    assert month.assignments == 2
    assert month.shares["plan"] is not None and month.shares["design"] is not None
    assert 0 < month.shares["plan"] < 1  # one fully planned, one not at all: pooled
    assert figures.clients == 2 and len(figures.per_assignment) == 2


def test_supervisee_pages_have_bounded_queries(world: World, django_assert_max_num_queries: Any) -> None:
    supervisor = supervisor_of(world)
    for email in ("t2@example.org", "t3@example.org", "t4@example.org"):
        therapist = make_user(email, email)
        Membership.objects.create(user=therapist, clinic=world.clinic, role=Role.THERAPIST)
        SupervisionLink.objects.create(
            clinic=world.clinic, supervisor=supervisor, therapist=therapist, created_by=world.admin
        )
    for _ in range(3):
        guided_assignment(world)
    http = world.login(supervisor)
    with django_assert_max_num_queries(12):
        assert http.get("/supervision/").status_code == 200
    with django_assert_max_num_queries(30):
        assert http.get(f"/supervision/therapists/{world.therapist.pk}/").status_code == 200
    for _ in range(5):
        guided_assignment(world, world.client_b)
    with django_assert_max_num_queries(30):
        assert http.get(f"/supervision/therapists/{world.therapist.pk}/").status_code == 200


def test_observer_rating_once_per_rater_and_agreement(world: World) -> None:
    first = supervisor_of(world)
    second = supervisor_of(world, "sup.b@example.org")
    works = [guided_assignment(world) for _ in range(4)]
    for i, work in enumerate(works):
        services.rate(
            first, world.therapist.pk, {"review": i, "design": i, "plan": i}, "n", assignment_id=work.pk
        )
        services.rate(
            second,
            world.therapist.pk,
            {"review": i, "design": min(4, i + 1), "plan": i},
            assignment_id=work.pk,
        )
    with pytest.raises(services.SupervisionError):
        services.rate(
            first, world.therapist.pk, {"review": 1, "design": 1, "plan": 1}, assignment_id=works[0].pk
        )
    assert ObserverRating.objects.count() == 8
    assert ObserverRating.objects.filter(rater=first).first().note == "n"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="supervision.rate").count() == 8
    page = world.login(first).get(f"/supervision/therapists/{world.therapist.pk}/").content.decode()
    assert "ICC(2,1)" in page and "1.00 [1.00, 1.00]" in page  # review and plan: identical ratings


@pytest.mark.parametrize(
    "data",
    [
        {"review": "5", "design": "1", "plan": "1"},
        {"review": "1", "design": "", "plan": "1"},
        {"review": "1", "design": "1", "plan": "1", "work": "assignment:999999"},
        {"review": "1", "design": "1", "plan": "1", "work": "nonsense"},
    ],
)
def test_bad_ratings_refused(world: World, data: dict[str, str]) -> None:
    supervisor = supervisor_of(world)
    work = guided_assignment(world)
    body = {"work": f"assignment:{work.pk}", **data}
    response = world.login(supervisor).post(f"/supervision/therapists/{world.therapist.pk}/rate/", body)
    assert response.status_code in (400, 404)
    assert not ObserverRating.objects.exists()


def test_rating_form_shows_anchors_and_saves(world: World) -> None:
    supervisor = supervisor_of(world)
    work = guided_assignment(world)
    http = world.login(supervisor)
    form = http.get(f"/supervision/therapists/{world.therapist.pk}/rate/").content.decode()
    assert "Asked only whether it was done" in form and 'type="radio"' in form
    response = http.post(
        f"/supervision/therapists/{world.therapist.pk}/rate/",
        {"work": f"assignment:{work.pk}", "review": "2", "design": "3", "plan": "4", "note": "Good"},
    )
    assert response.status_code == 302
    assert ObserverRating.objects.get().plan == 4


def test_supervisor_cannot_rate_a_colleague_they_do_not_supervise(world: World) -> None:
    supervisor = supervisor_of(world)
    response = world.login(supervisor).get(f"/supervision/therapists/{world.colleague.pk}/rate/")
    assert response.status_code == 404


def test_clinic_page_for_admin_and_supervisor(world: World) -> None:
    supervisor = supervisor_of(world)
    guided_assignment(world)
    for user in (world.admin, supervisor):
        page = world.login(user).get("/supervision/clinic/")
        assert page.status_code == 200
        assert "Does competence go with engagement?" in page.content.decode()
    assert world.login(world.therapist).get("/supervision/clinic/").status_code == 403
