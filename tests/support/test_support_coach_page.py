"""The coach's page: only the clients who link them, of each only what was ticked, never content; each view
audited; a constant number of queries however many days were practised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.homework import services as homework
from emotipal.homework.goals import week_target
from emotipal.homework.models import Assignment, Entry
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, complete_thought_record, make_user
from tests.support.support_factory import coach_for


def _page(world: World, coach: Any) -> str:
    response = world.login(coach).get("/support/coach/")
    assert response.status_code == 200
    return response.content.decode()


def _practise(
    world: World, assignment: Assignment, day: dt.date, answers: dict[str, Any] | None = None
) -> Entry:
    entry, _ = homework.submit_entry(
        world.client_a.user,
        assignment.pk,
        homework.Submission(
            answers=answers or complete_thought_record(),
            effort=3,
            difficulty=2,
            helpfulness=3,
            practice_date=day,
        ),
    )
    return entry


def test_unticked_items_are_absent(world: World, entry_a: Entry) -> None:
    coach, link = coach_for(world.client_a)
    html = _page(world, coach)
    assert world.client_a.user.display_name in html
    assert f"shared-days-{link.pk}" not in html and f"shared-goal-{link.pk}" not in html
    assert "not sharing anything" in html
    # Changing the choice takes effect at the coach's next view.
    http = world.login(world.client_a.user)
    assert http.post("/support/", {"action": "sharing", "share_days": "on"}).status_code == 302
    html = _page(world, coach)
    assert f"shared-days-{link.pk}" in html and f"shared-goal-{link.pk}" not in html
    http.post("/support/", {"action": "sharing", "share_goal": "on"})
    html = _page(world, coach)
    assert f"shared-days-{link.pk}" not in html and f"shared-goal-{link.pk}" in html
    assert AuditEvent.objects.filter(action="support.sharing", actor=world.client_a.user).count() == 2


def test_content_is_never_shown(world: World, entry_a: Entry) -> None:
    coach, _link = coach_for(world.client_a, share_days=True, share_goal=True)
    html = _page(world, coach)
    answers = complete_thought_record()
    for secret in (
        answers["situation"],
        answers["thoughts"][0]["thought"],
        entry_a.assignment.template_version.title,  # no exercise names
        entry_a.assignment.rationale,
        world.therapist.display_name,  # no therapist
        world.client_b.user.display_name,  # nobody else
        world.client_a.user.email,
    ):
        assert secret not in html, secret


def test_the_days_and_the_week_are_right(world: World, assignment_a: Assignment) -> None:
    coach, link = coach_for(world.client_a, share_days=True, share_goal=True)
    today = homework.local_today(world.client_a)
    _practise(world, assignment_a, today)
    html = _page(world, coach)
    days = html.split(f'id="shared-days-{link.pk}"')[1].split("</ul>")[0]
    assert days.count("<li") == 14 and days.count('class="done"') == 1
    assert days.rstrip().endswith("practised</span></strong></li>")  # today, the last cell
    # Planned: this week's share of the plan (goals.week_target), done: the one practice.
    assert f"1 of {week_target(assignment_a, today)} planned practices done" in html


def test_each_view_is_audited(world: World) -> None:
    coach, _link = coach_for(world.client_a, share_days=True)
    _page(world, coach)
    row = AuditEvent.objects.get(action="read.support", actor=coach)
    assert row.subject_user_id == world.client_a.user_id and row.clinic_id == world.clinic.pk


def test_a_coach_sees_only_clients_who_link_them(world: World) -> None:
    coach, _ = coach_for(world.client_a, share_days=True)
    other_coach, _ = coach_for(world.client_b, "other.coach@example.org", share_days=True)
    html = _page(world, coach)
    assert world.client_b.user.display_name not in html
    assert world.client_a.user.display_name not in _page(world, other_coach)
    assert set(
        AuditEvent.objects.filter(action="read.support").values_list("subject_user_id", flat=True)
    ) == {
        world.client_a.user_id,
        world.client_b.user_id,
    }


def test_people_without_a_coach_account_get_403(world: World) -> None:
    coach_for(world.client_a, share_days=True)
    nobody = make_user("nobody@example.org", "No Role")
    for user in (
        world.therapist,
        world.admin,
        world.researcher,
        world.client_a.user,
        world.client_b.user,
        nobody,
    ):
        assert world.login(user).get("/support/coach/").status_code == 403, user
    assert world.login(None).get("/support/coach/").status_code == 302


def test_the_page_costs_the_same_queries_for_any_number_of_practice_days(
    world: World, assignment_a: Assignment, django_assert_num_queries: Any
) -> None:
    coach, _ = coach_for(world.client_a, share_days=True, share_goal=True)
    http = world.login(coach)
    today = homework.local_today(world.client_a)
    counts = []
    for back in ((0,), (1, 2, 3)):
        for days_ago in back:
            _practise(world, assignment_a, today - dt.timedelta(days=days_ago))
        with CaptureQueriesContext(connection) as captured:
            assert http.get("/support/coach/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    with django_assert_num_queries(counts[0]):
        http.get("/support/coach/")


def test_a_closed_client_account_shares_nothing_and_takes_no_messages(world: World) -> None:
    from emotipal.accounts.models import User

    coach, link = coach_for(world.client_a, share_days=True, share_goal=True)
    assert world.client_a.user.display_name in _page(world, coach)
    User.objects.filter(pk=world.client_a.user_id).update(is_active=False)
    assert world.client_a.user.display_name not in _page(world, coach)
    response = world.login(coach).post(
        f"/support/coach/{link.pk}/encourage/", {f"m{link.pk}-text": "Keep going"}
    )
    assert response.status_code == 404
    User.objects.filter(pk=world.client_a.user_id).update(is_active=True)
    assert world.client_a.user.display_name in _page(world, coach)
