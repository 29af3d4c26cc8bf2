"""A client's page opens with a clinical summary (what changed, what needs attention) and keeps the research
detail one click away; a new client's page is short; answers read the same on every page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from emotipal.accounts.models import ClientProfile
from emotipal.homework import reviews, services
from emotipal.homework.answers import answer_rows
from emotipal.homework.models import Entry
from emotipal.homework.queries import CaseloadRow, caseload_rows
from emotipal.library.exercise_form import rating_label
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument, Response
from emotipal.platform import clock, formatting
from tests.factories import World, complete_thought_record, plan_for


def phq9(world: World, total_items: int, days_ago: int, item9: int = 0) -> None:
    instrument = Instrument.objects.get(key="phq9", clinic=None)
    response = measures.ask_now(world.therapist, world.client_a, instrument)
    answers = {f"phq9_{i}": total_items for i in range(1, 9)} | {"phq9_9": item9}
    measures.save_answers(world.client_a.user, response.pk, answers, submit=True)
    Response.objects.filter(pk=response.pk).update(completed_at=clock.now() - dt.timedelta(days=days_ago))


def summary_of(html: str) -> str:
    found = re.search(r'<section class="card summary" id="clinical-summary".*?</section>', html, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", found.group(0))


def test_summary_of_a_client_with_data(world: World) -> None:
    phq9(world, 2, days_ago=30)  # 16
    phq9(world, 1, days_ago=1, item9=1)  # 8 + 1 = 9: reliable improvement (7 points), and a risk alert
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    for k in range(2):
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key=f"{k}"),
        )
    html = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    summary = summary_of(html)
    assert "<strong>PHQ-9</strong> 16 at first" in summary and "9 now" in summary
    assert "Reliable improvement" in summary  # the outcomes page's words
    assert "1 open risk alert to acknowledge" in summary
    assert "2 entries not reviewed" in summary
    # The research detail is folded away, after the summary.
    assert html.index('id="clinical-summary"') < html.index('<details class="card" id="research-detail">')
    assert "Engagement index, treatment so far" in html.split('id="research-detail"', 1)[1]


def test_a_new_clients_page_is_short(world: World) -> None:
    html = world.login(world.therapist).get(f"/clients/{world.client_b.pk}/").content.decode()
    summary = summary_of(html)
    assert "No questionnaire scores yet." in summary and "Nothing waits for you" in summary
    # One line for what has nothing to show, not a section each.
    assert "No entries and no obstacles reported yet." in html
    assert 'id="entries"' not in html and 'id="obstacles"' not in html
    assert "No data yet" not in html  # no empty charts, even folded away
    assert html.count("yet") <= 6  # scores, engagement, sessions, homework, and the one line


def test_one_formatter_for_scales_and_dates() -> None:
    with translation.override("en"):
        assert formatting.scale_value(7, 10) == "7 / 10"
        assert formatting.scale_value(3, 4, "A lot") == "3 / 4 · A lot"
        assert formatting.scale_value(None, 10) == "—"
        assert formatting.day(dt.date(2026, 3, 2)) == "March 2, 2026"
        assert formatting.typed_moment("2026-03-02T14:05") == "March 2, 2026, 2:05 p.m."
        assert formatting.typed_moment("2026-03-02") == "March 2, 2026"
        assert formatting.typed_moment("next Tuesday") == "next Tuesday"
        berlin = clock.zone("Europe/Berlin")
        assert (
            formatting.moment(dt.datetime(2026, 3, 2, 13, 5, tzinfo=clock.UTC), berlin)
            == "March 2, 2026, 2:05 p.m."
        )
        assert str(rating_label("effort", 3)) == "3 / 4 · A lot"
    with translation.override("de"):
        assert formatting.day(dt.date(2026, 3, 2)) == "2. März 2026"
    with translation.override("en"):
        rows = answer_rows(
            [
                {
                    "id": "s",
                    "type": "scale",
                    "label": "How strong",
                    "min": 0,
                    "max": 10,
                    "anchors": {"10": "Strongest"},
                },
                {"id": "t", "type": "datetime", "label": "When"},
            ],
            {"s": 10, "t": "2026-03-02T14:05"},
        )
        assert rows[0]["value"] == "10 / 10 · Strongest"
        assert rows[1]["value"] == "March 2, 2026, 2:05 p.m."  # a typed-in time, as written


def test_the_therapist_and_the_client_see_the_same_answer(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    entry = services.submit_entry(
        world.client_a.user,
        assignment.pk,
        services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key="same"),
    )
    entry_id = entry.pk if isinstance(entry, Entry) else Entry.objects.get(assignment=assignment).pk
    practice = Entry.objects.get(pk=entry_id).practice_date
    day = formatting.day(practice)
    staff = world.login(world.therapist).get(f"/entries/{entry_id}/").content.decode()
    own = world.login(world.client_a.user).get(f"/my/entries/{entry_id}/").content.decode()
    assert day in staff and day in own
    staff_answers = re.findall(r'<span class="answer">([^<]*)</span>', staff)
    own_answers = re.findall(r'<span class="answer">([^<]*)</span>', own)
    assert staff_answers and staff_answers == own_answers
    # The thought record's 0-100 intensity and belief are scales: written "80 / 100" on both pages.
    assert any(" / 100" in a for a in staff_answers)


def test_the_pages_summary_has_the_caseloads_figures_from_one_read_of_the_record(world: World) -> None:
    """The client page computes the summary's row from the homework record its engagement section read (the
    whole history), the caseload from its last weeks only: the figures are the same, and the page reads the
    record once (a fixed number of queries)."""
    today = clock.client_today(world.client_a)
    plan = plan_for(world.thought_record, start_date=today - dt.timedelta(weeks=9), times_per_week=5)
    assignment = services.assign_homework(world.therapist, world.client_a, plan)
    for k in range(0, 60, 4):  # practice over nine weeks, most of it before the caseload's four
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(
                complete_thought_record(),
                k % 5,
                2,
                3,
                idempotency_key=f"h{k}",
                practice_date=today - dt.timedelta(days=k),
            ),
        )
    services.submit_entry(  # and one today
        world.client_a.user,
        assignment.pk,
        services.Submission(complete_thought_record(), 2, 2, 2, idempotency_key="today"),
    )
    # Today's session is the one the homework (set outside a session, nine weeks ago) is reviewed in.
    reviews.record_session(world.therapist, world.client_a, today)
    http = world.login(world.therapist)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(f"/clients/{world.client_a.pk}/")
    assert response.status_code == 200
    shown = response.context["summary"].row
    [caseload] = caseload_rows(ClientProfile.objects.filter(pk=world.client_a.pk))
    fields = [f.name for f in dataclasses.fields(CaseloadRow) if f.name not in ("profile", "outcomes")]
    assert {f: getattr(shown, f) for f in fields} == {f: getattr(caseload, f) for f in fields}
    assert shown.done_this_week >= 1 and shown.unreviewed == 16 and len(shown.weekly_index) == 4
    assert shown.homework_to_review == 1 and [s.date for s in response.context["sessions"]] == [today]
    # The homework record (assignments, entries, reviews, ratings, reminder events) is read once, not twice.
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "homework_selfreview"' in q["sql"]]
    assert len(reads) == 2  # the record's self-reviews, and the triage's last self-review
    # The sessions are read once (the engagement section's, shown in the page's lists and counted for the
    # summary), not by the triage and the session lists again.
    sessions = [q["sql"] for q in ctx.captured_queries if 'FROM "homework_therapysession"' in q["sql"]]
    assert len(sessions) == 1, sessions
    assert len(ctx.captured_queries) <= 38, len(ctx.captured_queries)
