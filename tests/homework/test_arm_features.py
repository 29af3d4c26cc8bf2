"""The experiment features homework reads, per arm: a client in arm A sees one app, in arm B another, and a
client in no experiment sees today's app (review_lead, rationale_framing, rewards, progress_feedback)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.accounts.models import ClientProfile
from emotipal.homework import progress, reviews, services, streaks
from emotipal.homework.models import Assignment, Entry
from emotipal.platform import clock, features
from tests.factories import World, complete_thought_record, make_user, plan_for
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

pytestmark = pytest.mark.django_db


def two_arms(world: World, a: dict[str, Any], b: dict[str, Any]) -> None:
    """client_a in arm "a", client_b in arm "b" of one running experiment."""
    study = make_study(world)
    experiment = make_experiment(study, arms=[("a", a), ("b", b)], slug="homework-features")
    place_in_arm(experiment, make_participant(world, study, world.client_a), "a")
    place_in_arm(experiment, make_participant(world, study, world.client_b), "b")


def outsider(world: World) -> ClientProfile:
    """A client of the same therapist in no experiment."""
    return ClientProfile.objects.create(
        user=make_user("outside@example.org", "Otto Outside"), clinic=world.clinic, therapist=world.therapist
    )


def text_of(response: Any) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    assert response.status_code == 200
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def normalised(text: str) -> str:
    return " ".join(text.split())


def distinctive(text: str, other: str, words: int = 5) -> str:
    """A run of words of `text` that `other` does not contain (so a page showing it shows `text`)."""
    tokens, rest = normalised(text).split(), normalised(other)
    for i in range(len(tokens) - words):
        phrase = " ".join(tokens[i : i + words])
        if phrase not in rest and not any(c in phrase for c in "*_`#[]"):
            return phrase
    raise AssertionError("no distinctive phrase")


def submit(client: ClientProfile, assignment: Assignment, key: str, day: dt.date | None = None) -> Entry:
    entry, _created = services.submit_entry(
        client.user,
        assignment.pk,
        services.Submission(complete_thought_record(), 2, 2, 2, idempotency_key=key, practice_date=day),
    )
    return entry


# --- review_lead ----------------------------------------------------------------------------------------------


def homework_due_for_review(world: World, client: ClientProfile) -> tuple[Assignment, Any]:
    assignment = services.assign_homework(world.therapist, client, plan_for(world.thought_record))
    session = reviews.record_session(
        world.therapist, client, clock.client_today(client) + dt.timedelta(days=2)
    )
    return assignment, session


def test_review_lead_client_is_asked_to_self_review_therapist_led_is_not(world: World) -> None:
    two_arms(world, {"review_lead": {"lead": "client"}}, {"review_lead": {"lead": "therapist"}})
    plain = outsider(world)
    for client in (world.client_a, world.client_b, plain):
        homework_due_for_review(world, client)
    prompt = "Before your session on"
    assert prompt in text_of(world.login(world.client_a.user).get("/today/"))
    assert "Review this homework" in text_of(world.login(world.client_a.user).get("/today/"))
    led = text_of(world.login(world.client_b.user).get("/today/"))
    assert prompt not in led and "Review this homework" not in led
    assert "Thought record" in led  # the homework itself is still there
    assert prompt in text_of(world.login(plain.user).get("/today/"))  # no experiment: today's app


def session_page(world: World, client: ClientProfile, session: Any) -> str:
    return text_of(world.login(world.therapist).get(f"/clients/{client.pk}/sessions/{session.pk}/"))


def test_review_lead_orders_the_therapists_session_page(world: World) -> None:
    two_arms(world, {"review_lead": {"lead": "client"}}, {"review_lead": {"lead": "therapist"}})
    plain = outsider(world)
    due = {c.pk: homework_due_for_review(world, c) for c in (world.client_a, world.client_b, plain)}

    # Nobody has self-reviewed yet.
    first_a = session_page(world, world.client_a, due[world.client_a.pk][1])
    assert "The client's own review comes first" in first_a
    assert "No self-review from the client for this session." in first_a
    first_b = session_page(world, world.client_b, due[world.client_b.pk][1])
    assert "You lead this review" in first_b
    assert "No self-review from the client" not in first_b and "Client's self-review" not in first_b
    assert "Save review" in first_b
    assert "No self-review from the client for this session." in session_page(world, plain, due[plain.pk][1])

    # Each writes one (the therapist-led client through the page's address: reachable, never prompted).
    for client in (world.client_a, world.client_b):
        assignment, session = due[client.pk]
        response = world.login(client.user).get(f"/homework/{assignment.pk}/review/{session.pk}/")
        assert response.status_code == 200
        reviews.submit_self_review(
            client.user,
            assignment.pk,
            session.pk,
            reviews.SelfReviewInput(ratings={"quantity": 3, "quality": 2}, helpfulness=3, what_i_did="Twice"),
        )
    page_a = session_page(world, world.client_a, due[world.client_a.pk][1])
    assert page_a.index("Client's self-review") < page_a.index("Your review")
    page_b = session_page(world, world.client_b, due[world.client_b.pk][1])
    assert page_b.index("Your review") < page_b.index("Client's self-review")


# --- rationale_framing ----------------------------------------------------------------------------------------


def variant(version: Any, key: str) -> dict[str, Any]:
    return next(v for v in version.variants if v["key"] == key)


def test_rationale_framing_family_shows_the_family_variant_and_the_entry_records_it(world: World) -> None:
    two_arms(world, {"rationale_framing": {"framing": "family"}}, {"rationale_framing": {"framing": "self"}})
    plain = outsider(world)
    version = world.thought_record
    family = variant(version, "family-en")["rationale"]
    family_phrase, base_phrase = (
        distinctive(family, version.rationale),
        distinctive(version.rationale, family),
    )
    for client, shown, hidden, recorded in (
        (world.client_a, family_phrase, base_phrase, "family-en"),
        (world.client_b, base_phrase, family_phrase, "base"),
        (plain, base_phrase, family_phrase, "base"),
    ):
        assignment = services.assign_homework(world.therapist, client, plan_for(version))
        assert assignment.variant_key == "base"  # the therapist's choice is unchanged
        page = text_of(world.login(client.user).get(f"/homework/{assignment.pk}/"))
        assert shown in page and hidden not in page
        mine = world.login(client.user).get("/api/v1/me/assignments").json()
        assert [a["variant"] for a in mine] == [recorded]  # the phone app is told the same variant
        assert submit(client, assignment, "k1").variant_key == recorded


def test_family_framing_is_in_the_clients_language_and_falls_back_to_the_assigned_variant(
    world: World,
) -> None:
    two_arms(
        world, {"rationale_framing": {"framing": "family"}}, {"rationale_framing": {"framing": "family"}}
    )
    version = world.thought_record
    world.client_a.user.language = "es"
    world.client_a.user.save(update_fields=["language"])
    world.client_b.user.language = "ar"  # the thought record has no Arabic family variant
    world.client_b.user.save(update_fields=["language"])
    spanish = services.assign_homework(world.therapist, world.client_a, plan_for(version))
    arabic = services.assign_homework(world.therapist, world.client_b, plan_for(version))
    assert (spanish.variant_key, arabic.variant_key) == ("es", "ar")

    es_family = variant(version, "family-es")["rationale"]
    page = text_of(world.login(world.client_a.user).get(f"/homework/{spanish.pk}/"))
    assert distinctive(es_family, variant(version, "es")["rationale"]) in page
    assert submit(world.client_a, spanish, "k1").variant_key == "family-es"

    ar_text = variant(version, "ar")["rationale"]
    page = text_of(world.login(world.client_b.user).get(f"/homework/{arabic.pk}/"))
    assert distinctive(ar_text, version.rationale) in page
    assert submit(world.client_b, arabic, "k1").variant_key == "ar"


# --- rewards: streaks -----------------------------------------------------------------------------------------


def test_streaks_show_in_the_streaks_arm_only(world: World) -> None:
    two_arms(world, {"rewards": {"streaks": True}}, {"rewards": {"streaks": False}})
    plain = outsider(world)
    for client in (world.client_a, world.client_b, plain):
        assignment = services.assign_homework(world.therapist, client, plan_for(world.thought_record))
        today = clock.client_today(client)
        for k in range(4):  # today and the three days before: a run of four
            submit(client, assignment, f"k{k}", today - dt.timedelta(days=k))
    shown = text_of(world.login(world.client_a.user).get("/today/"))
    assert "Your practice days" in shown
    assert "4 days in a row with practice." in shown and "Today counts already." in shown
    assert "Milestones reached: 3 days" in shown and "3 more days to 7 days in a row." in shown
    for client in (world.client_b, plain):
        page = text_of(world.login(client.user).get("/today/"))
        assert "Your practice days" not in page and "in a row" not in page


def test_a_run_that_ended_is_worded_calmly(world: World) -> None:
    two_arms(world, {"rewards": {"streaks": True}}, {"rewards": {"streaks": True}})
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    today = clock.client_today(world.client_a)
    for k in (3, 4, 5):
        submit(world.client_a, assignment, f"k{k}", today - dt.timedelta(days=k))
    page = text_of(world.login(world.client_a.user).get("/today/"))
    assert "Your longest run so far: 3 days." in page and "Milestones reached: 3 days" in page
    assert "in a row with practice" not in page
    assert not re.search(r"broke|lost|failed|missed your", page, re.IGNORECASE)
    fresh = text_of(world.login(world.client_b.user).get("/today/"))
    assert "Every day you practise counts, and the days add up here." in fresh


def brute_force_run(days: set[dt.date], today: dt.date) -> int:
    start = today if today in days else today - dt.timedelta(days=1)
    n = 0
    while start - dt.timedelta(days=n) in days:
        n += 1
    return n


DAYS = st.sets(st.integers(min_value=-40, max_value=5), max_size=30)


@settings(max_examples=100, deadline=None)  # pure and fast; no deadline on a loaded machine
@given(offsets=DAYS, today=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_streak_counts_back_from_today_or_yesterday(offsets: set[int], today: dt.date) -> None:
    days = {today + dt.timedelta(days=o) for o in offsets}
    result = streaks.streak(days, today)
    assert result.current == brute_force_run(days, today)
    assert result.practised_today == (today in days)
    past = sorted(d for d in days if d <= today)
    longest = max((brute_force_run(set(past), d) for d in past), default=0)
    assert result.longest == longest >= result.current
    assert result.milestones == tuple(m for m in streaks.MILESTONES if m <= longest)
    if result.next_milestone is not None:
        assert result.next_milestone > result.current and (result.days_to_next or 0) > 0


ZONES = st.sampled_from(
    [
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Europe/London",
        "America/New_York",
        "Australia/Lord_Howe",
        "UTC",
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    zone=ZONES,
    start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)),
    length=st.integers(min_value=1, max_value=20),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_a_practice_each_local_day_is_one_run_in_any_zone(
    zone: str, start: dt.date, length: int, minute: int
) -> None:
    """Practices at the same wall-clock time each day (late at night, across daylight saving, far from UTC)
    make a run of that many of the client's own days, although their UTC dates can skip or repeat."""
    tz = clock.zone(zone)
    assert tz is not None
    at = dt.time(minute // 60, minute % 60)
    instants = [clock.at_local_time(start + dt.timedelta(days=k), at, tz) for k in range(length)]
    local_days = [clock.local_date(moment, tz) for moment in instants]
    last = start + dt.timedelta(days=length - 1)
    assert streaks.streak(local_days, last).current == length
    assert streaks.streak(local_days, last + dt.timedelta(days=1)).current == length  # today still open
    assert streaks.streak(local_days, last + dt.timedelta(days=2)).current == 0


# --- progress_feedback ----------------------------------------------------------------------------------------


def exposure_post(key: str) -> dict[str, str]:
    return {
        "idempotency_key": key,
        "a.situation": "Touch the door handle",
        "a.suds_before": "70",
        "a.suds_peak": "85",
        "a.suds_after": "30",
        "a.actual_minutes": "40",
        "effort": "3",
    }


def test_progress_feedback_after_sending_in_its_arm_only(world: World) -> None:
    two_arms(world, {"progress_feedback": {"enabled": True}}, {"progress_feedback": {"enabled": False}})
    plain = outsider(world)
    pages = {}
    for client in (world.client_a, world.client_b, plain):
        exposure = services.assign_homework(
            world.therapist, client, plan_for(world.exposure, times_per_week=5, minutes_per_practice=40)
        )
        services.assign_homework(world.therapist, client, plan_for(world.thought_record, times_per_week=3))
        http = world.login(client.user)
        sent = http.post(f"/homework/{exposure.pk}/", exposure_post("k1"))
        assert sent.status_code == 302
        pages[client.pk] = text_of(http.get(sent["Location"]))
    shown = pages[world.client_a.pk]
    assert "Sent." in shown and "How your practice is going" in shown
    assert "This exercise: 1 of 5 practices planned this week." in shown
    assert "All your homework: 1 of 8 practices planned this week." in shown
    assert "70 before, 30 after (-40) Distress just before you started · Distress at the end" in shown
    for client in (world.client_b, plain):
        page = pages[client.pk]
        # Everyone gets the short confirmation with this exercise's count (sent_note); only the arm gets the
        # fuller card: every homework's week and the ratings before and after.
        assert "Sent." in page and "planned this week" in page
        assert "How your practice is going" not in page and "All your homework" not in page
        assert "before, " not in page


def test_rating_changes_pair_before_and_after_scales_only_when_both_answered() -> None:
    fields = [
        {"id": "mood_before", "type": "scale", "label": "Mood before", "min": 0, "max": 10},
        {"id": "noticed", "type": "long_text", "label": "Noticed"},
        {"id": "mood_after", "type": "scale", "label": "Mood after", "min": 0, "max": 10},
        {"id": "tension_before", "type": "scale", "label": "Tension before", "min": 0, "max": 10},
        {"id": "tension_after", "type": "scale", "label": "Tension after", "min": 0, "max": 10},
        {"id": "odd_before", "type": "scale", "label": "No partner", "min": 0, "max": 10},
    ]
    changes = progress.rating_changes(fields, {"mood_before": 3, "mood_after": 6, "tension_before": 5})
    assert [(c.before_label, c.before, c.after, c.change) for c in changes] == [("Mood before", 3, 6, 3)]


def test_rating_changes_match_rows_rated_again_by_what_they_name(world: World) -> None:
    """The thought record's feelings are rated again after: matched by the feeling, whatever the order."""
    answers = {
        "emotions": [{"emotion": "Anxious", "intensity": 80}, {"emotion": "Sad", "intensity": 60}],
        "emotions_after": [
            {"emotion": "relief", "intensity": 30},
            {"emotion": "sad ", "intensity": 60},
            {"emotion": "anxious", "intensity": 45},
        ],
        "thoughts": [{"thought": "I will fail", "belief": 90}],
        "hot_thought_belief_after": 50,
    }
    changes = progress.rating_changes(world.thought_record.field_list, answers)
    assert [(c.subject, c.before, c.after) for c in changes] == [("Anxious", 80, 45), ("Sad", 60, 60)]
    assert (
        changes[0].before_label == "How strong was it?" and changes[0].after_label == "How strong is it now?"
    )


def test_today_costs_the_same_queries_in_an_arm_however_much_homework(world: World) -> None:
    two_arms(
        world,
        {"rewards": {"streaks": True}, "review_lead": {"lead": "client"}},
        {"review_lead": {"lead": "therapist"}},
    )

    def count() -> int:
        http = world.login(world.client_a.user)
        with CaptureQueriesContext(connection) as ctx:
            assert http.get("/today/").status_code == 200
        return len(ctx.captured_queries)

    first = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    submit(world.client_a, first, "k0")
    small = count()
    for k in range(4):
        more = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
        submit(world.client_a, more, f"k{k}", clock.client_today(world.client_a) - dt.timedelta(days=k))
    assert count() == small
    # The arm's settings are asked once per request (cached on the one ClientProfile object).
    profile = ClientProfile.objects.get(pk=world.client_a.pk)
    features.settings_for(profile)
    with CaptureQueriesContext(connection) as ctx:
        reviews.client_leads_review(profile)
        streaks.for_client(profile, clock.client_today(profile))
    assert len(ctx.captured_queries) == 1  # the practice days only
