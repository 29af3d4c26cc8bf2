"""The audit trail read by people: a clinic admin's log (filters, CSV, only their clinic, itself audited) and
a client's "who has seen my data" (names, roles and days; never ids, never another client's reads)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.accounts.models import Membership, Role
from emotipal.platform.audit.models import AuditEvent
from emotipal.platform.audit.services import record
from tests.factories import World
from tests.support.support_factory import coach_for


def _read_client_pages(world: World) -> None:
    assert world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").status_code == 200
    assert (
        world.login(world.foreign_therapist).get(f"/clients/{world.client_other_clinic.pk}/").status_code
        == 200
    )


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_admin_sees_their_clinic_only_and_the_reading_is_audited(world: World) -> None:
    _read_client_pages(world)
    http = world.login(world.admin)
    page = http.get("/clinic/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.therapist.display_name in html and world.client_a.user.display_name in html
    assert world.client_other_clinic.user.display_name not in html
    assert world.foreign_therapist.display_name not in html
    assert AuditEvent.objects.filter(actor=world.admin, action="read.audit_log").count() == 1
    rows = _csv(http.get("/clinic/audit.csv"))
    assert {r["client"] for r in rows} >= {world.client_a.user.display_name}
    assert world.client_other_clinic.user.display_name not in {r["client"] for r in rows}
    assert AuditEvent.objects.filter(actor=world.admin, action="export.audit_log").count() == 1


def test_filters_by_person_client_action_and_day(world: World) -> None:
    _read_client_pages(world)
    record(world.colleague, "read.clients", world.client_b, subject_user_id=world.client_b.user_id)
    old = record(world.therapist, "read.measures", world.client_a, subject_user_id=world.client_a.user_id)
    with connection.cursor() as cursor:  # a row from ten days ago (the application itself never edits one)
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET at = %s WHERE id = %s",  # noqa: S608
            [dt.datetime.now(dt.UTC) - dt.timedelta(days=10), old.pk],
        )
    http = world.login(world.admin)
    by_person = _csv(http.get("/clinic/audit.csv", {"person": world.colleague.pk}))
    assert by_person and {r["person"] for r in by_person} == {world.colleague.display_name}
    by_client = _csv(http.get("/clinic/audit.csv", {"client": world.client_b.pk}))
    assert by_client and {r["client"] for r in by_client} == {world.client_b.user.display_name}
    by_action = _csv(http.get("/clinic/audit.csv", {"action": "read.measures"}))
    assert [r["action"] for r in by_action] == ["read.measures"]
    today = dt.date.today()
    recent = _csv(http.get("/clinic/audit.csv", {"since": (today - dt.timedelta(days=2)).isoformat()}))
    assert "read.measures" not in {r["action"] for r in recent} and recent
    earlier = _csv(http.get("/clinic/audit.csv", {"until": (today - dt.timedelta(days=5)).isoformat()}))
    assert [r["action"] for r in earlier] == ["read.measures"]


def test_bad_filters_are_refused_with_a_reason(world: World) -> None:
    http = world.login(world.admin)
    before = AuditEvent.objects.count()
    page = http.get("/clinic/audit/", {"since": "2026-12-10", "until": "2026-12-01"})
    assert page.status_code == 400 and "The end date is before the start date." in page.content.decode()
    # Someone of another clinic is not a choice here: refused, and nobody's rows are shown instead.
    foreign = http.get("/clinic/audit/", {"person": world.foreign_therapist.pk})
    assert foreign.status_code == 400
    assert http.get("/clinic/audit.csv", {"client": world.client_other_clinic.pk}).status_code == 400
    assert http.get("/clinic/audit/", {"since": "not a date"}).status_code == 400
    assert AuditEvent.objects.count() - before == 3  # the three page views, nothing else


def test_the_log_page_costs_the_same_queries_for_5_or_50_rows(world: World) -> None:
    def count() -> int:
        http = world.login(world.admin)
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/clinic/audit/").status_code == 200
        return len(queries)

    for _ in range(5):
        record(world.therapist, "read.clients", world.client_a, subject_user_id=world.client_a.user_id)
    few = count()
    for i in range(45):
        actor = world.colleague if i % 2 else world.therapist
        record(actor, "read.clients", world.client_b, subject_user_id=world.client_b.user_id)
    assert count() == few


def test_a_member_of_two_clinics_leaves_the_other_clinics_clients_out(world: World) -> None:
    Membership.objects.create(user=world.therapist, clinic=world.other_clinic, role=Role.THERAPIST)
    record(
        world.therapist,
        "read.clients",
        world.client_other_clinic,
        subject_user_id=world.client_other_clinic.user_id,
        clinic_id=world.other_clinic.pk,
    )
    rows = _csv(world.login(world.admin).get("/clinic/audit.csv"))
    assert world.client_other_clinic.user.display_name not in {r["client"] for r in rows}


def test_the_client_sees_who_opened_their_data_with_role_and_day(world: World) -> None:
    _read_client_pages(world)
    coach, _link = coach_for(world.client_a, share_days=True)
    assert world.login(coach).get("/support/coach/").status_code == 200
    world.login(world.client_a.user).get("/today/")  # the client's own reads are not "someone else"
    record(None, "reminder.sent", world.client_a, subject_user_id=world.client_a.user_id)  # nobody saw it
    page = world.login(world.client_a.user).get("/settings/seen-by/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.therapist.display_name in html and "(Therapist)" in html
    assert "Your client page and homework entries" in html
    assert "Cora Coach" in html and "(Your support person)" in html
    assert world.foreign_therapist.display_name not in html
    assert "read." not in html and "reminder" not in html  # internal names; the worker is not a person
    other = world.login(world.client_b.user).get("/settings/seen-by/").content.decode()
    assert world.therapist.display_name not in other and 'id="seen-by-empty"' in other


def test_the_settings_page_links_to_it_for_clients(world: World) -> None:
    assert "/settings/seen-by/" in world.login(world.client_a.user).get("/settings/").content.decode()
    assert "/settings/seen-by/" not in world.login(world.therapist).get("/settings/").content.decode()
