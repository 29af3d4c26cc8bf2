"""The ordering of Today's one next step (homework/next_step.py), as a pure function."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from emotipal.homework.next_step import NextStep, choose_next_step

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def exercise(name: str, *, draft: bool = False, noted: bool = False, met: bool = False) -> Any:
    return SimpleNamespace(name=name, has_draft=draft, barrier_noted=noted, done_today=0, week_target_met=met)


def questionnaire(name: str, status: str = "due", closes_in_days: int = 3) -> Any:
    return SimpleNamespace(name=name, status=status, expires_at=NOW + dt.timedelta(days=closes_in_days))


def pick(**kwargs: Any) -> NextStep | None:
    defaults: dict[str, Any] = {"due": [], "questionnaires": [], "self_reviews": [], "looking_back": False}
    return choose_next_step(**(defaults | kwargs))


def test_a_due_exercise_comes_before_a_questionnaire() -> None:
    step = pick(due=[exercise("walk")], questionnaires=[questionnaire("phq9")])
    assert step is not None and (step.kind, step.item.name) == ("exercise", "walk")


def test_a_started_exercise_comes_before_other_due_ones() -> None:
    step = pick(due=[exercise("walk"), exercise("thought record", draft=True)])
    assert step is not None and step.item.name == "thought record"


def test_a_reported_barrier_takes_the_exercise_out() -> None:
    step = pick(due=[exercise("walk", noted=True)], questionnaires=[questionnaire("phq9")])
    assert step is not None and (step.kind, step.item.name) == ("questionnaire", "phq9")


def test_questionnaires_started_first_then_closing_soonest() -> None:
    later, sooner = questionnaire("gad7", closes_in_days=5), questionnaire("phq9", closes_in_days=1)
    assert pick(questionnaires=[later, sooner]) == NextStep("questionnaire", sooner)
    started = questionnaire("skills", status="in_progress", closes_in_days=6)
    assert pick(questionnaires=[later, sooner, started]) == NextStep("questionnaire", started)


def test_then_reviews_then_looking_back_then_this_weeks_exercises() -> None:
    review = ("assignment", "session")
    assert pick(self_reviews=[review], looking_back=True) == NextStep("self_review", review)
    assert pick(looking_back=True) == NextStep("looking_back", None)
    behind, met = exercise("breathing"), exercise("walk", met=True)
    assert pick(this_week=[met, behind]) == NextStep("exercise", behind)
    assert pick(this_week=[met]) is None
    assert pick() is None
