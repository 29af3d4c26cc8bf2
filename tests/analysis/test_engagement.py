"""Compliance figures and the engagement index: hand-computed examples, filters and hypothesis properties.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.engagement import (
    INDEX_COMPONENTS,
    SOURCES,
    TIMINGS,
    TYPES,
    Attempt,
    Figure,
    Opening,
    PlannedPractice,
    Rating,
    compliance_figures,
    engagement_index,
    figure_for,
    monday_of,
    rating_pairs,
    weekly_figures,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

D = dt.date
MON = D(2026, 1, 5)  # a Monday
SUN = D(2026, 1, 11)
TREATMENT_END = D(2026, 2, 28)
NOW = dt.datetime(2026, 1, 12, 9, 0)
SESSION_DAY = D(2026, 1, 9)  # the Friday session 10 of the example week


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def attempt(
    aid: int,
    day: dt.date,
    *,
    submitted: bool = True,
    seconds: int = 600,
    effort: int | None = None,
    saved: dt.datetime | None = None,
    edits: int = 0,
) -> Attempt:
    return Attempt(
        assignment_id=aid,
        day=day,
        submitted=submitted,
        active_seconds=seconds,
        effort=effort,
        started_at=at(day),
        last_saved_at=saved or at(day, 10),
        edits_after_submit=edits,
    )


def rating(
    aid: int | None,
    source: str,
    quantity: int | None,
    quality: int | None,
    *,
    timing: str = "contemporaneous",
    day: dt.date = SESSION_DAY,
    session: int | None = 10,
) -> Rating:
    return Rating(
        assignment_id=aid,
        source=source,
        timing=timing,
        day=day,
        quantity=quantity,
        quality=quality,
        session_id=session if timing == "contemporaneous" else None,
    )


# One week of hand-made data. Assignment 1: three 10-minute practices; assignment 2: two 20-minute ones.
PLANNED = (
    PlannedPractice(1, D(2026, 1, 5), 10),
    PlannedPractice(1, D(2026, 1, 7), 10),
    PlannedPractice(1, D(2026, 1, 9), 10),
    PlannedPractice(2, D(2026, 1, 6), 20),
    PlannedPractice(2, D(2026, 1, 8), 20),
    PlannedPractice(1, D(2026, 1, 12), 10),  # next week
)
ATTEMPTS = (
    attempt(1, D(2026, 1, 5), seconds=600, effort=3, edits=1),
    attempt(1, D(2026, 1, 7), seconds=900, effort=2),
    attempt(2, D(2026, 1, 6), seconds=1500, effort=4, edits=2),
    # A draft last touched two days ago (abandoned) and one touched two hours ago (still in progress).
    attempt(2, D(2026, 1, 8), submitted=False, seconds=300, saved=NOW - dt.timedelta(days=2)),
    attempt(1, D(2026, 1, 9), submitted=False, seconds=120, saved=NOW - dt.timedelta(hours=2)),
    # Outside the week on both sides.
    attempt(1, D(2026, 1, 4), seconds=6000, effort=0, edits=9),
    attempt(1, D(2026, 1, 12), seconds=6000, effort=0, edits=9),
)
OPENINGS = (
    Opening(1, at(D(2026, 1, 5), 9), at(D(2026, 1, 5), 12), (30.0, 90.0)),  # 3 h
    Opening(2, at(D(2026, 1, 5), 10), at(D(2026, 1, 6), 10), (15.0,)),  # 24 h
    Opening(3, at(D(2026, 1, 7), 10), None),  # never opened
    Opening(4, at(D(2026, 1, 12), 10), at(D(2026, 1, 12), 11), (600.0,)),  # next week
)
RATINGS = (
    # Session 10, contemporaneous.
    rating(1, "client", 3, 2),
    rating(2, "client", 4, 3),
    rating(1, "therapist", 2, 4),
    rating(2, "therapist", None, 1),
    # End of treatment, retroactive: the whole course (None) and assignment 1.
    rating(None, "client", 3, 3, timing="retroactive", day=D(2026, 2, 20)),
    rating(None, "therapist", 2, None, timing="retroactive", day=D(2026, 2, 20)),
    rating(1, "client", 4, 4, timing="retroactive", day=D(2026, 2, 20)),
    rating(1, "therapist", 4, 2, timing="retroactive", day=D(2026, 2, 20)),
)


def week_figures() -> list[Figure]:
    return compliance_figures(
        PLANNED, ATTEMPTS, RATINGS, OPENINGS, period="week", period_start=MON, period_end=SUN, now=NOW
    )


def treatment_figures(assignment_id: int | None = None, period: str = "treatment") -> list[Figure]:
    return compliance_figures(
        PLANNED,
        ATTEMPTS,
        RATINGS,
        OPENINGS,
        period=period,
        period_start=MON,
        period_end=TREATMENT_END,
        now=NOW,
        assignment_id=assignment_id,
    )


def get(figures: list[Figure], measure: str, timing: str = "contemporaneous") -> Figure:
    fig = figure_for(figures, measure, timing)
    assert fig is not None, f"no {measure} ({timing})"
    return fig


def value(figures: list[Figure], measure: str, timing: str = "contemporaneous") -> float | None:
    return get(figures, measure, timing).value


# --- hand-computed examples --------------------------------------------------------------------------


def test_objective_counts_and_percentages() -> None:
    figs = week_figures()
    done = get(figs, "attempts_completed")
    assert (done.value, done.n, done.unit) == (3.0, 3, "practices")
    assert done.label == "Practices done (of 5 planned)"
    assert value(figs, "attempts_planned") == 5.0
    assert value(figs, "percent_of_plan") == 60.0


def test_minutes_and_time_on_task() -> None:
    figs = week_figures()
    assert value(figs, "minutes_practised") == 50.0  # 10 + 15 + 25; drafts do not count
    assert value(figs, "minutes_planned") == 70.0
    assert value(figs, "percent_of_planned_minutes") == 71.43  # 50 / 70
    assert value(figs, "time_on_task") == 16.67  # 50 / 3
    assert get(figs, "time_on_task").unit == "minutes"


def test_delays_to_first_opening() -> None:
    figs = week_figures()
    hours = get(figs, "hours_to_first_opening")
    assert (hours.value, hours.n, hours.unit) == (13.5, 2, "hours")  # median of 3 and 24; unopened skipped
    reminder = get(figs, "minutes_from_reminder_to_opening")
    assert (reminder.value, reminder.n) == (30.0, 3)  # median of 30, 90, 15


def test_drafts_and_edits() -> None:
    figs = week_figures()
    drafts = get(figs, "drafts_abandoned")
    assert (drafts.value, drafts.n) == (1.0, 2)
    assert value(figs, "edits_after_submission") == 3.0


def test_a_draft_is_abandoned_only_after_more_than_a_day() -> None:
    day = D(2026, 1, 5)
    saved = at(day, 12)
    draft = attempt(1, day, submitted=False, saved=saved)

    def abandoned(now: dt.datetime) -> float | None:
        figs = compliance_figures(
            [], [draft], [], [], period="week", period_start=MON, period_end=SUN, now=now
        )
        return value(figs, "drafts_abandoned")

    assert abandoned(saved + dt.timedelta(hours=24)) == 0.0
    assert abandoned(saved + dt.timedelta(hours=24, seconds=1)) == 1.0


def test_contemporaneous_ratings_by_source() -> None:
    figs = week_figures()
    assert (value(figs, "client_quantity"), get(figs, "client_quantity").n) == (3.5, 2)
    assert value(figs, "client_quality") == 2.5
    assert (value(figs, "therapist_quantity"), get(figs, "therapist_quantity").n) == (2.0, 1)
    assert value(figs, "therapist_quality") == 2.5
    # Quantity: only assignment 1 has both sides, (3 + 2) / 2. Quality: (2 + 4) / 2 and (3 + 1) / 2.
    assert (value(figs, "combined_quantity"), get(figs, "combined_quantity").n) == (2.5, 1)
    assert (value(figs, "combined_quality"), get(figs, "combined_quality").n) == (2.5, 2)
    effort = get(figs, "mean_effort")
    assert (effort.value, effort.n, effort.source, effort.type) == (3.0, 3, "client", "likert")


def test_retroactive_ratings_in_the_treatment_period() -> None:
    figs = treatment_figures()
    assert value(figs, "client_quantity", "retroactive") == 3.5  # course 3, assignment 1: 4
    assert value(figs, "therapist_quantity", "retroactive") == 3.0  # course 2, assignment 1: 4
    assert value(figs, "client_quality", "retroactive") == 3.5
    assert (
        value(figs, "therapist_quality", "retroactive"),
        get(figs, "therapist_quality", "retroactive").n,
    ) == (
        2.0,
        1,
    )
    # Pairs by assignment, the course (None) included: (3 + 2) / 2 and (4 + 4) / 2.
    assert value(figs, "combined_quantity", "retroactive") == 3.25
    assert value(figs, "combined_quality", "retroactive") == 3.0  # only assignment 1: (4 + 2) / 2
    # Retroactive ratings do not leak into the contemporaneous figures.
    assert value(figs, "client_quantity") == 3.5


def test_no_ratings_means_none_not_zero() -> None:
    figs = compliance_figures([], [], [], [], period="week", period_start=MON, period_end=SUN, now=NOW)
    for measure in (
        "percent_of_plan",
        "percent_of_planned_minutes",
        "time_on_task",
        "hours_to_first_opening",
    ):
        assert value(figs, measure) is None
    for fig in figs:
        if fig.type == "likert":
            assert fig.value is None and fig.n == 0
    assert value(figs, "attempts_completed") == 0.0


def test_percentages_are_capped_at_100() -> None:
    plan = [PlannedPractice(1, MON, 10)]
    tries = [attempt(1, MON, seconds=1800), attempt(1, SUN, seconds=1800)]
    figs = compliance_figures(plan, tries, [], [], period="week", period_start=MON, period_end=SUN, now=NOW)
    assert value(figs, "attempts_completed") == 2.0
    assert value(figs, "percent_of_plan") == 100.0
    assert value(figs, "minutes_practised") == 60.0
    assert value(figs, "percent_of_planned_minutes") == 100.0


def test_every_figure_is_labelled_and_carries_its_period() -> None:
    figs = treatment_figures(assignment_id=1, period="assignment")
    names = {(f.measure, f.timing) for f in figs}
    assert len(names) == len(figs)  # no duplicates
    likert = ("quantity", "quality")
    expected = {
        ("attempts_completed", "contemporaneous"),
        ("attempts_planned", "contemporaneous"),
        ("percent_of_plan", "contemporaneous"),
        ("minutes_practised", "contemporaneous"),
        ("minutes_planned", "contemporaneous"),
        ("percent_of_planned_minutes", "contemporaneous"),
        ("time_on_task", "contemporaneous"),
        ("hours_to_first_opening", "contemporaneous"),
        ("minutes_from_reminder_to_opening", "contemporaneous"),
        ("drafts_abandoned", "contemporaneous"),
        ("edits_after_submission", "contemporaneous"),
        ("mean_effort", "contemporaneous"),
        ("quality_all_ratings", "contemporaneous"),
    } | {(f"{s}_{a}", t) for s in ("client", "therapist", "combined") for a in likert for t in TIMINGS}
    assert names == expected
    for f in figs:
        assert (f.period, f.period_start, f.period_end, f.assignment_id) == (
            "assignment",
            MON,
            TREATMENT_END,
            1,
        )
        assert f.label
        assert f.source == ("objective" if f.type in ("count", "percentage", "duration") else f.source)
        if f.measure.startswith(("client_", "therapist_", "combined_")):
            assert f.source == f.measure.split("_")[0]


# --- filters -----------------------------------------------------------------------------------------


def test_period_is_inclusive_at_both_ends() -> None:
    tries = [attempt(1, D(2026, 1, 4)), attempt(1, MON), attempt(1, SUN), attempt(1, D(2026, 1, 12))]
    figs = compliance_figures([], tries, [], [], period="week", period_start=MON, period_end=SUN, now=NOW)
    assert value(figs, "attempts_completed") == 2.0


def test_openings_are_filtered_by_the_date_assigned() -> None:
    figs = week_figures()
    # Opening 4 (assigned next week) is left out although its delays would change both medians.
    assert get(figs, "minutes_from_reminder_to_opening").n == 3
    nxt = compliance_figures(
        PLANNED,
        ATTEMPTS,
        RATINGS,
        OPENINGS,
        period="week",
        period_start=D(2026, 1, 12),
        period_end=D(2026, 1, 18),
        now=NOW,
    )
    assert value(nxt, "hours_to_first_opening") == 1.0
    assert value(nxt, "minutes_from_reminder_to_opening") == 600.0


def test_assignment_filter() -> None:
    figs = treatment_figures(assignment_id=1, period="assignment")
    # Assignment 1 from Monday 5 Jan: planned 5th, 7th, 9th and 12th; done 5th, 7th and 12th.
    assert value(figs, "attempts_completed") == 3.0
    assert value(figs, "attempts_planned") == 4.0
    assert value(figs, "percent_of_plan") == 75.0
    assert value(figs, "minutes_practised") == 125.0  # 10 + 15 + 100
    assert value(figs, "edits_after_submission") == 10.0
    assert value(figs, "hours_to_first_opening") == 3.0
    assert value(figs, "client_quantity") == 3.0
    assert value(figs, "therapist_quality") == 4.0
    assert value(figs, "combined_quality") == 3.0
    # The course ratings (assignment None) are not about assignment 1.
    assert value(figs, "client_quantity", "retroactive") == 4.0
    assert get(figs, "combined_quantity", "retroactive").n == 1


def test_course_ratings_count_only_for_the_treatment_period() -> None:
    course = [
        rating(None, "client", 1, 1, timing="retroactive", day=MON),
        rating(None, "therapist", 3, 3, timing="retroactive", day=MON),
    ]

    def figs(period: str, assignment_id: int | None = None) -> list[Figure]:
        return compliance_figures(
            [],
            [],
            course,
            [],
            period=period,
            period_start=MON,
            period_end=SUN,
            now=NOW,
            assignment_id=assignment_id,
        )

    assert value(figs("treatment"), "combined_quality", "retroactive") == 2.0
    for period in ("week", "assignment"):
        assert value(figs(period), "client_quality", "retroactive") is None
    weeks = weekly_figures([], [], course, [], first_week=MON, last_week=MON, now=NOW)
    assert value(weeks[MON], "therapist_quantity", "retroactive") is None
    # Nor when the treatment figures are narrowed to one assignment.
    narrowed = figs("treatment", assignment_id=1)
    assert value(narrowed, "client_quality", "retroactive") is None


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: rating(1, "client", 5, 2),
        lambda: rating(1, "client", 2, -1),
        lambda: rating(1, "combined", 2, 2),  # combined is computed, never entered
        lambda: rating(1, "client", 2, 2, timing="later"),
        lambda: rating(None, "client", 2, 2),  # a session rating must be about an assignment
        lambda: attempt(1, MON, effort=7),
        lambda: attempt(1, MON, seconds=-1),
        lambda: PlannedPractice(1, MON, -5),
        lambda: Opening(1, at(MON, 12), at(MON, 9)),
    ],
)
def test_bad_records_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="period must be"):
        compliance_figures([], [], [], [], period="month", period_start=MON, period_end=SUN, now=NOW)
    with pytest.raises(ValueError, match="after"):
        compliance_figures([], [], [], [], period="week", period_start=SUN, period_end=MON, now=NOW)
    with pytest.raises(ValueError):
        weekly_figures([], [], [], [], first_week=SUN + dt.timedelta(days=1), last_week=MON, now=NOW)


# --- the engagement index ----------------------------------------------------------------------------


def test_index_components_are_documented_and_weights_sum_to_one() -> None:
    assert [c.name for c in INDEX_COMPONENTS] == ["completion", "quality", "effort", "time"]
    assert [c.weight for c in INDEX_COMPONENTS] == [0.40, 0.30, 0.15, 0.15]
    assert sum(c.weight for c in INDEX_COMPONENTS) == pytest.approx(1.0)
    assert all(c.description for c in INDEX_COMPONENTS)
    import emotipal.analysis.engagement as engagement

    assert engagement.__doc__ is not None and "engagement index" in engagement.__doc__


def test_index_hand_computed() -> None:
    index = engagement_index(week_figures())
    parts = {c.name: c for c in index.components}
    assert parts["completion"].value == 60.0
    assert parts["quality"].value == 62.5  # combined quality 2.5 x 25
    assert parts["effort"].value == 75.0  # mean effort 3 x 25
    assert parts["time"].value == 71.43
    assert [parts[n].used_weight for n in ("completion", "quality", "effort", "time")] == pytest.approx(
        [0.40, 0.30, 0.15, 0.15]
    )
    # 0.4 * 60 + 0.3 * 62.5 + 0.15 * 75 + 0.15 * 71.43 = 64.7145
    assert index.value == 64.7


def test_index_renormalises_when_parts_are_missing() -> None:
    tries = [attempt(1, MON, seconds=600, effort=3), attempt(1, D(2026, 1, 6), seconds=600, effort=3)]
    plan = [PlannedPractice(1, MON, 0), PlannedPractice(1, D(2026, 1, 6), 0), PlannedPractice(1, SUN, 0)]
    figs = compliance_figures(plan, tries, [], [], period="week", period_start=MON, period_end=SUN, now=NOW)
    index = engagement_index(figs)
    parts = {c.name: c for c in index.components}
    # No ratings (quality missing) and no planned minutes (time missing): completion 66.67 and effort 75.
    assert parts["quality"].value is None and parts["quality"].used_weight == 0.0
    assert parts["time"].value is None and parts["time"].used_weight == 0.0
    assert parts["completion"].used_weight == pytest.approx(0.40 / 0.55)
    assert parts["effort"].used_weight == pytest.approx(0.15 / 0.55)
    assert parts["completion"].weight == 0.40  # the documented weight is still shown
    assert index.value == 68.9  # (0.40 * 66.67 + 0.15 * 75) / 0.55 = 68.94


def test_index_quality_falls_back_to_the_single_sources() -> None:
    # Client and therapist rated different sessions, so there is no pair to combine.
    ratings = [rating(1, "client", 2, 2, session=1), rating(1, "therapist", 4, 4, session=2)]
    figs = compliance_figures([], [], ratings, [], period="week", period_start=MON, period_end=SUN, now=NOW)
    assert value(figs, "combined_quality") is None
    index = engagement_index(figs)
    parts = {c.name: c for c in index.components}
    assert parts["quality"].value == 75.0  # mean of 2 and 4, x 25
    assert parts["quality"].used_weight == 1.0
    assert index.value == 75.0
    only_client = compliance_figures(
        [], [], ratings[:1], [], period="week", period_start=MON, period_end=SUN, now=NOW
    )
    assert engagement_index(only_client).value == 50.0


def test_index_without_data_is_none() -> None:
    figs = compliance_figures([], [], [], [], period="week", period_start=MON, period_end=SUN, now=NOW)
    index = engagement_index(figs)
    assert index.value is None
    assert all(c.value is None and c.used_weight == 0.0 for c in index.components)
    assert engagement_index([]).value is None


def test_index_refuses_figures_from_several_periods() -> None:
    weeks = weekly_figures(
        PLANNED, ATTEMPTS, RATINGS, OPENINGS, first_week=MON, last_week=D(2026, 1, 12), now=NOW
    )
    with pytest.raises(ValueError, match="more than one period"):
        engagement_index([f for figs in weeks.values() for f in figs])


# --- weekly figures ----------------------------------------------------------------------------------


def test_weekly_figures_hand_computed() -> None:
    weeks = weekly_figures(
        PLANNED, ATTEMPTS, RATINGS, OPENINGS, first_week=D(2026, 1, 7), last_week=D(2026, 1, 13), now=NOW
    )
    assert list(weeks) == [MON, D(2026, 1, 12)]  # dates inside a week mean that week
    assert value(weeks[MON], "attempts_completed") == 3.0
    assert value(weeks[D(2026, 1, 12)], "attempts_completed") == 1.0
    first = get(weeks[MON], "attempts_completed")
    assert (first.period, first.period_start, first.period_end) == ("week", MON, SUN)


# --- properties --------------------------------------------------------------------------------------

START = D(2026, 1, 5)
SPAN_DAYS = 42
days = st.dates(min_value=START - dt.timedelta(days=7), max_value=START + dt.timedelta(days=SPAN_DAYS + 7))
aids = st.integers(min_value=1, max_value=3)
likert = st.none() | st.integers(min_value=0, max_value=4)


@st.composite
def attempts_st(draw: st.DrawFn) -> Attempt:
    day = draw(days)
    started = at(day, draw(st.integers(0, 23)))
    return Attempt(
        assignment_id=draw(aids),
        day=day,
        submitted=draw(st.booleans()),
        active_seconds=draw(st.integers(0, 4 * 3600)),
        effort=draw(likert),
        started_at=started,
        last_saved_at=started + dt.timedelta(minutes=draw(st.integers(0, 3000))),
        edits_after_submit=draw(st.integers(0, 5)),
    )


@st.composite
def ratings_st(draw: st.DrawFn) -> Rating:
    timing = draw(st.sampled_from(TIMINGS))
    aid = draw(aids | st.none()) if timing == "retroactive" else draw(aids)
    return Rating(
        assignment_id=aid,
        source=draw(st.sampled_from(("client", "therapist"))),
        timing=timing,
        day=draw(days),
        quantity=draw(likert),
        quality=draw(likert),
        session_id=draw(st.integers(1, 4)) if timing == "contemporaneous" else None,
    )


@st.composite
def openings_st(draw: st.DrawFn) -> Opening:
    assigned = at(draw(days), draw(st.integers(0, 23)))
    delay = draw(st.none() | st.integers(0, 10_000))
    return Opening(
        assignment_id=draw(aids),
        assigned_at=assigned,
        first_opened_at=None if delay is None else assigned + dt.timedelta(minutes=delay),
        reminder_delays_minutes=tuple(draw(st.lists(st.floats(0, 5000, allow_nan=False), max_size=3))),
    )


planned_st = st.builds(PlannedPractice, assignment_id=aids, day=days, minutes=st.integers(0, 60))


@st.composite
def data_st(
    draw: st.DrawFn,
) -> tuple[list[PlannedPractice], list[Attempt], list[Rating], list[Opening], dt.date, dt.date]:
    start = draw(st.dates(min_value=START, max_value=START + dt.timedelta(days=SPAN_DAYS)))
    end = start + dt.timedelta(days=draw(st.integers(0, 20)))
    return (
        draw(st.lists(planned_st, max_size=15)),
        draw(st.lists(attempts_st(), max_size=20)),
        draw(st.lists(ratings_st(), max_size=20)),
        draw(st.lists(openings_st(), max_size=5)),
        start,
        end,
    )


Data = tuple[list[PlannedPractice], list[Attempt], list[Rating], list[Opening], dt.date, dt.date]
PROPERTY_NOW = at(START + dt.timedelta(days=SPAN_DAYS + 10))


def figures_of(data: Data, period: str = "treatment", assignment_id: int | None = None) -> list[Figure]:
    planned, attempts, ratings, openings, start, end = data
    return compliance_figures(
        planned,
        attempts,
        ratings,
        openings,
        period=period,
        period_start=start,
        period_end=end,
        now=PROPERTY_NOW,
        assignment_id=assignment_id,
    )


@settings(max_examples=150, deadline=None)
@given(data_st(), st.sampled_from(("week", "treatment", "assignment")), st.none() | aids)
def test_property_figures_are_labelled_and_in_range(data: Data, period: str, aid: int | None) -> None:
    figs = figures_of(data, period, aid)
    for f in figs:
        assert f.source in SOURCES and f.type in TYPES and f.timing in TIMINGS
        assert (f.period, f.period_start, f.period_end, f.assignment_id) == (period, data[4], data[5], aid)
        assert f.n >= 0
        if f.value is None:
            continue
        assert f.value == round(f.value, 2)
        if f.type == "percentage":
            assert 0.0 <= f.value <= 100.0
        elif f.type == "likert":
            assert 0.0 <= f.value <= 4.0
        else:
            assert f.value >= 0.0


@settings(max_examples=150, deadline=None)
@given(data_st(), st.none() | aids)
def test_property_completed_counts_submitted_attempts_in_the_period(data: Data, aid: int | None) -> None:
    _, attempts, _, _, start, end = data
    figs = figures_of(data, "assignment" if aid else "treatment", aid)
    expected = sum(
        1
        for a in attempts
        if a.submitted and start <= a.day <= end and (aid is None or a.assignment_id == aid)
    )
    done = get(figs, "attempts_completed")
    assert done.value == expected and done.n == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(ratings_st(), max_size=30), st.sampled_from(("quantity", "quality")), st.sampled_from(TIMINGS)
)
def test_property_combined_rating_lies_between_its_parts(
    ratings: list[Rating], aspect: str, timing: str
) -> None:
    pairs = rating_pairs(ratings, aspect=aspect, timing=timing)
    for p in pairs:
        assert min(p.client, p.therapist) <= p.combined <= max(p.client, p.therapist)
    start, end = START - dt.timedelta(days=7), START + dt.timedelta(days=SPAN_DAYS + 7)
    figs = compliance_figures(
        [], [], ratings, [], period="treatment", period_start=start, period_end=end, now=NOW
    )
    combined = get(figs, f"combined_{aspect}", timing)
    assert combined.n == len(pairs)
    if not pairs:
        assert combined.value is None
        return
    parts = [v for p in pairs for v in (p.client, p.therapist)]
    assert combined.value is not None
    assert min(parts) - 0.005 <= combined.value <= max(parts) + 0.005  # 2-decimal rounding
    # Over the same pairs, the combined mean lies between the client mean and the therapist mean.
    client_mean = sum(p.client for p in pairs) / len(pairs)
    therapist_mean = sum(p.therapist for p in pairs) / len(pairs)
    lo, hi = sorted((client_mean, therapist_mean))
    assert lo - 0.005 <= combined.value <= hi + 0.005


@settings(max_examples=150, deadline=None)
@given(data_st(), st.none() | aids)
def test_property_index_is_the_weighted_mean_of_available_parts(data: Data, aid: int | None) -> None:
    index = engagement_index(figures_of(data, "assignment" if aid else "treatment", aid))
    available = [c for c in index.components if c.value is not None]
    for c in index.components:
        assert c.value is None or 0.0 <= c.value <= 100.0
        assert c.used_weight >= 0.0
    if not available:
        assert index.value is None
        return
    assert index.value is not None and 0.0 <= index.value <= 100.0
    total_weight = sum(c.weight for c in available)
    expected = sum(c.weight * c.value for c in available if c.value is not None) / total_weight
    assert index.value == pytest.approx(expected, abs=0.05 + 1e-9)
    assert sum(c.used_weight for c in index.components) == pytest.approx(1.0)
    for c in available:
        assert c.used_weight == pytest.approx(c.weight / total_weight)


@settings(max_examples=100, deadline=None)
@given(data_st())
def test_property_weeks_are_mondays_and_add_up_to_the_treatment(data: Data) -> None:
    planned, attempts, ratings, openings, start, end = data
    weeks = weekly_figures(planned, attempts, ratings, openings, first_week=start, last_week=end, now=NOW)
    mondays = list(weeks)
    assert all(m.weekday() == 0 for m in mondays)
    assert mondays == sorted(mondays)
    assert mondays[0] == monday_of(start) and mondays[-1] == monday_of(end)
    assert all(b - a == dt.timedelta(weeks=1) for a, b in itertools.pairwise(mondays))
    whole = compliance_figures(
        planned,
        attempts,
        ratings,
        openings,
        period="treatment",
        period_start=mondays[0],
        period_end=mondays[-1] + dt.timedelta(days=6),
        now=NOW,
    )
    for measure in ("attempts_completed", "attempts_planned", "drafts_abandoned", "edits_after_submission"):
        weekly_total = sum(value(figs, measure) or 0.0 for figs in weeks.values())
        assert weekly_total == value(whole, measure), measure


# --- purity ------------------------------------------------------------------------------------------
