"""Compliance definitions that say what they mean (issue 16, item 3): worked examples and properties.

* Completion caps each assignment at its own plan, in the live figures (engagement) and the research
  figures alike - one definition, :func:`capped_completion`.
* Quality in the engagement index comes from all session ratings, each rated homework counting once.
* The research "count" figure is a rate per week with homework planned, not a raw total.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.compliance import client_figures, load_dataset
from emotipal.analysis.compliance.dataset import ClientData
from emotipal.analysis.compliance.figures import FIGURE_BY_NAME, objective_count, objective_percentage
from emotipal.analysis.engagement import (
    QUALITY_ALL_RATINGS,
    Attempt,
    PlannedPractice,
    Rating,
    capped_completion,
    compliance_figures,
    engagement_index,
    figure_for,
    homework_ratings,
)

MON = dt.date(2026, 1, 5)
SUN = MON + dt.timedelta(days=6)
NOW = dt.datetime(2026, 1, 12, 9, 0)


def submitted(aid: int, day: dt.date, minutes: int = 10) -> Attempt:
    start = dt.datetime.combine(day, dt.time(9))
    return Attempt(aid, day, True, minutes * 60, None, start, start + dt.timedelta(minutes=minutes))


def rating(aid: int, source: str, quality: int, session: int) -> Rating:
    return Rating(aid, source, "contemporaneous", MON + dt.timedelta(days=4), None, quality, session)


def week(planned: list[PlannedPractice], attempts: list[Attempt], ratings: list[Rating]) -> list:
    return compliance_figures(
        planned, attempts, ratings, [], period="week", period_start=MON, period_end=SUN, now=NOW
    )


def component(figures: list, name: str) -> float | None:
    return next(c.value for c in engagement_index(figures).components if c.name == name)


# --- worked examples of the issue ----------------------------------------------------------------------


def test_completion_caps_each_assignment_not_the_total():
    # Assignment 1: 5 planned, 10 done (two a day); assignment 2: 5 planned, none done. Capping only the
    # total read 10/10 = 100 %; each homework counting up to its own plan gives (5 + 0) / 10 = 50 %.
    days = [MON + dt.timedelta(days=i) for i in range(5)]
    plan = [PlannedPractice(aid, d, 10) for aid in (1, 2) for d in days]
    done = [submitted(1, d) for d in days for _ in range(2)]
    figures = week(plan, done, [])
    assert figure_for(figures, "percent_of_plan").value == 50.0
    assert figure_for(figures, "percent_of_planned_minutes").value == 50.0  # 100 of 50 minutes, 0 of 50
    assert figure_for(figures, "attempts_completed").value == 10.0  # the raw count is still shown
    assert component(figures, "completion") == 50.0


def test_research_percentage_uses_the_same_cap():
    client = ClientData(
        "c1",
        "t1",
        planned_days=list(range(10)),
        submitted_days=list(range(5)) * 2,
        planned_by_assignment={"a": 5, "b": 5},
        submitted_by_assignment={"a": 10},
    )
    assert objective_percentage(client) == 50.0  # the total cap read min(100, 10/10) = 100


def test_quality_from_all_ratings_with_one_pair_and_five_therapist_only_zeros():
    # One homework rated 4 by both, five rated 0 by the therapist alone. Using the pair alone once one
    # exists read 4 x 25 = 100; every rated homework counting once gives (4 + 5 x 0) / 6 = 0.67.
    ratings = [rating(1, "client", 4, 1), rating(1, "therapist", 4, 1)]
    ratings += [rating(1, "therapist", 0, s) for s in range(2, 7)]
    figures = week([], [], ratings)
    quality = figure_for(figures, QUALITY_ALL_RATINGS)
    assert (quality.value, quality.n, quality.source) == (0.67, 6, "combined")
    assert figure_for(figures, "combined_quality").value == 4.0  # the paired figure, still shown as such
    # The index works from the figure shown (0.67, 2 decimals) x 25, so it can be recomputed by hand.
    assert component(figures, "quality") == 16.75


def test_quality_without_pairs_weighs_every_rated_homework_equally():
    # One client rating 4 and nine therapist ratings 0, of different homework: averaging the two sources'
    # means read (4 + 0) / 2 = 2, i.e. 50; every rated homework counting once gives 4 / 10 = 0.4, i.e. 10.
    ratings = [rating(1, "client", 4, 1)] + [rating(1, "therapist", 0, s) for s in range(2, 11)]
    figures = week([], [], ratings)
    assert figure_for(figures, QUALITY_ALL_RATINGS).value == 0.4
    assert figure_for(figures, "combined_quality").value is None
    assert component(figures, "quality") == 10.0


def test_count_figure_is_a_rate_per_week_with_homework_planned():
    # Planned practices in weeks 0 and 1 (days 0-13), 6 submitted: 3 per week, whatever the total length.
    client = ClientData(
        "c1",
        "t1",
        planned_days=[0, 2, 4, 7, 9, 11],
        submitted_days=[0, 2, 4, 7, 9, 11],
        planned_by_assignment={"a": 6},
        submitted_by_assignment={"a": 6},
    )
    assert objective_count(client) == 3.0
    longer = ClientData(
        "c2", "t1", planned_days=[0, 7, 14, 21, 28, 35], submitted_days=[0, 7, 14, 21, 28, 35]
    )
    assert objective_count(longer) == 1.0  # also 6 practices, over 6 weeks
    assert objective_count(ClientData("c3", "t1")) is None
    assert "per week" in FIGURE_BY_NAME["objective_count"].label


def test_dataset_records_practices_per_assignment(tmp_path: Path):
    (tmp_path / "clients.csv").write_text("key,therapist_key\nc1,t1\nc2,t1\n")
    (tmp_path / "scores.csv").write_text("client_key,week,phq9\nc1,0,15\nc1,1,10\nc2,0,12\nc2,1,12\n")
    (tmp_path / "assignments.csv").write_text(
        "key,client_key,start_day,end_day,practice_weekdays\n"
        'a,c1,0,6,"[0, 1, 2, 3, 4]"\nb,c1,0,6,"[0, 1, 2, 3, 4]"\nx,c2,0,6,"[0, 2]"\n'
    )
    entries = "".join(f"a,{d},True\n" for d in (0, 0, 1, 1, 2, 2, 3, 3, 4, 4)) + "x,0,True\n"
    (tmp_path / "entries.csv").write_text("assignment_key,day,submitted\n" + entries)
    for name in ("self_reviews.csv", "therapist_reviews.csv", "retro_ratings.csv"):
        (tmp_path / name).write_text("")
    data = load_dataset(tmp_path)
    c1 = next(c for c in data.clients if c.key == "c1")
    assert c1.planned_by_assignment == {"a": 5, "b": 5} and c1.submitted_by_assignment == {"a": 10}
    figures = client_figures(data)
    assert figures["objective_percentage"] == {"c1": 50.0, "c2": 50.0}
    assert figures["objective_count"] == {"c1": 10.0, "c2": 1.0}


# --- properties ----------------------------------------------------------------------------------------

counts = st.dictionaries(st.integers(1, 4), st.integers(0, 8), max_size=4)


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_capped_completion_properties(done: dict[int, int], planned: dict[int, int]):
    value = capped_completion(done, planned)
    total = sum(planned.values())
    if total == 0:
        assert value is None
        return
    assert value is not None and 0.0 <= value <= 100.0
    uncapped = 100.0 * sum(done.get(a, 0) for a in planned) / total
    assert value <= min(100.0, uncapped) + 1e-9  # never more than capping the total would give
    if all(done.get(a, 0) <= p for a, p in planned.items()):
        assert value == pytest.approx(uncapped)  # no assignment over its plan: nothing is capped
    # More practice never lowers it; practice beyond an assignment's plan, or on unplanned work, adds nothing.
    for a in planned:
        more = {**done, a: done.get(a, 0) + 1}
        assert capped_completion(more, planned) >= value - 1e-9
        if done.get(a, 0) >= planned[a]:
            assert capped_completion(more, planned) == pytest.approx(value)
    assert capped_completion({**done, 99: 5}, planned) == pytest.approx(value)


@settings(max_examples=150, deadline=None)
@given(counts, counts)
def test_live_and_research_completion_agree(done: dict[int, int], planned: dict[int, int]):
    # The same practices as the live pages see them (planned days and attempts) and as an export does.
    days = [MON + dt.timedelta(days=i) for i in range(8)]
    plan = [PlannedPractice(aid, days[i], 10) for aid, n in planned.items() for i in range(n)]
    tries = [submitted(aid, days[i]) for aid, n in done.items() for i in range(n)]
    live = figure_for(
        compliance_figures(
            plan, tries, [], [], period="treatment", period_start=MON, period_end=days[-1], now=NOW
        ),
        "percent_of_plan",
    ).value
    client = ClientData(
        "c",
        "t",
        planned_days=[0] * sum(planned.values()),
        submitted_days=[0] * sum(done.values()),
        planned_by_assignment={str(a): n for a, n in planned.items()},
        submitted_by_assignment={str(a): n for a, n in done.items()},
    )
    research = objective_percentage(client)
    assert live == (None if research is None else round(research, 2))


sources = st.sampled_from(["client", "therapist"])
rating_st = st.builds(
    lambda aid, source, quality, session: rating(aid, source, quality, session),
    st.integers(1, 3),
    sources,
    st.integers(0, 4),
    st.integers(1, 4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(rating_st, max_size=25))
def test_quality_from_all_ratings_properties(ratings: list[Rating]):
    per_homework = homework_ratings(ratings, aspect="quality", timing="contemporaneous")
    assert len(per_homework) == len({(r.assignment_id, r.session_id) for r in ratings})
    for (aid, session), value in per_homework.items():
        mine = [r for r in ratings if (r.assignment_id, r.session_id) == (aid, session)]
        sides = {
            s: statistics.fmean(r.quality for r in mine if r.source == s) for s in {r.source for r in mine}
        }
        assert value == pytest.approx(statistics.fmean(sides.values()))  # each side weighs half
    figure = figure_for(week([], [], ratings), QUALITY_ALL_RATINGS)
    if not ratings:
        assert figure.value is None and figure.n == 0
        return
    values = [r.quality for r in ratings]
    assert min(values) - 0.005 <= figure.value <= max(values) + 0.005
    # Every rating given twice changes nothing: how many ratings a side gave a homework does not weigh it.
    again = week([], [], [*ratings, *ratings])
    assert figure_for(again, QUALITY_ALL_RATINGS).value == figure.value
    # When every homework was rated by both, it is the combined (paired) figure.
    if all(
        len({r.source for r in ratings if (r.assignment_id, r.session_id) == key}) == 2
        for key in per_homework
    ):
        assert figure.value == figure_for(week([], [], ratings), "combined_quality").value
