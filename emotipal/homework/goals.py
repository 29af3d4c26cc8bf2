"""Practice goals (minutes and days per week) and rewards for reaching them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from emotipal.homework.access import client_assignment
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import Assignment, Entry, Reward
from emotipal.library.models import TemplateVersion
from emotipal.platform.audit.services import record
from emotipal.platform.clock import client_today as local_today

# Fields whose answer is the practice's own timed duration (exposure, relaxation); otherwise active time counts.
DURATION_FIELDS = ("actual_minutes", "duration", "minutes")


def practice_minutes(entry: Entry) -> float:
    answers = entry.answers or {}
    for key in DURATION_FIELDS:
        value = answers.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return entry.active_seconds / 60


@dataclass
class GoalProgress:
    minutes_today: float
    minutes_week: float
    goal_minutes_week: int
    days_week: int
    goal_days_week: int
    reward: Reward | None = None

    @property
    def met(self) -> bool:
        return self.minutes_week >= self.goal_minutes_week and self.days_week >= self.goal_days_week

    @property
    def percent(self) -> int:
        return (
            min(100, round(100 * self.minutes_week / self.goal_minutes_week)) if self.goal_minutes_week else 0
        )


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_share(assignment: Assignment, today: dt.date) -> float:
    """The part of this week's plan that falls within the homework's dates, from 0 to 1.

    A homework that starts on a Thursday asks, in its first week, only for the practice days from Thursday on;
    one that ends on a Tuesday, only for Monday and Tuesday in its last week. The share is of the planned
    practice days (every day when none are chosen), so Mon/Wed/Fri homework starting on Thursday asks for one
    practice (Friday's) that week, not for a third of three.
    """
    monday = week_start(today)
    first = max(assignment.start_date, monday)
    last = min(assignment.end_date, monday + dt.timedelta(days=6))
    weekdays = set(assignment.weekdays) or set(range(7))
    span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return sum(1 for day in span if day.weekday() in weekdays) / len(weekdays)


def week_target(assignment: Assignment, today: dt.date) -> int:
    """Practices asked for this week (times a week, cut to the days within the homework's dates)."""
    return round(assignment.times_per_week * week_share(assignment, today))


def _timed_assignment_ids(assignments: list[Assignment]) -> set[int]:
    """The assignments whose exercise asks how long the practice took (a field in DURATION_FIELDS)."""
    versions = {a.pk: a.template_version for a in assignments if Assignment.template_version.is_cached(a)}
    missing = [a.template_version_id for a in assignments if a.pk not in versions]
    fields_of = (
        dict(TemplateVersion.objects.filter(pk__in=missing).values_list("pk", "fields")) if missing else {}
    )
    timed = set()
    for a in assignments:
        fields = versions[a.pk].fields if a.pk in versions else fields_of.get(a.template_version_id, [])
        if any(isinstance(f, dict) and f.get("id") in DURATION_FIELDS for f in fields):
            timed.add(a.pk)
    return timed


def progress_for(assignments: list[Assignment], today: dt.date) -> dict[int, GoalProgress]:
    """At most four queries for any number of assignments. Goals count only the week's days within the homework's dates
    (week_share): days before it starts or after it ends ask for nothing."""
    start = week_start(today)
    minutes: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    week = Entry.objects.filter(
        status=Entry.Status.SUBMITTED, practice_date__gte=start, practice_date__lte=today
    )
    # Answers are encrypted: only an exercise with a timed field (exposure, relaxation) has its entries'
    # answers read and decrypted; every other practice counts its active time, a plain column.
    timed = _timed_assignment_ids(assignments)
    untimed = [a.pk for a in assignments if a.pk not in timed]
    for ids, columns in ((timed, ("answers",)), (untimed, ())):
        if not ids:
            continue
        rows = week.filter(assignment__in=ids).only(
            "assignment_id", "practice_date", "active_seconds", *columns
        )
        for entry in rows:
            minutes[entry.assignment_id][entry.practice_date] += (
                practice_minutes(entry) if columns else entry.active_seconds / 60
            )
    rewards = {
        r.assignment_id: r for r in Reward.objects.filter(assignment__in=assignments, week_start=start)
    }
    result = {}
    for a in assignments:
        days = minutes[a.pk]
        share = week_share(a, today)
        result[a.pk] = GoalProgress(
            minutes_today=round(days.get(today, 0.0), 1),
            minutes_week=round(sum(days.values()), 1),
            goal_minutes_week=round(a.minutes_per_practice * a.times_per_week * share),
            days_week=len(days),
            goal_days_week=round(min(a.times_per_week, 7) * share),
            reward=rewards.get(a.pk),
        )
    return result


def set_reward(user: Any, assignment_id: int, description: str) -> Reward:
    assignment = client_assignment(user, assignment_id)
    description = description.strip()
    if not description:
        raise HomeworkError(
            gettext("Say what the reward will be."), {"reward": gettext("Say what the reward will be.")}
        )
    if len(description) > 300:
        raise HomeworkError(gettext("Keep it short."), {"reward": gettext("Keep it to 300 characters.")})
    start = week_start(local_today(assignment.client))
    reward, _ = Reward.objects.update_or_create(
        assignment=assignment, week_start=start, defaults={"description": description}
    )
    record(
        user,
        "reward.set",
        reward,
        subject_user_id=assignment.client.user_id,
        clinic_id=assignment.client.clinic_id,
    )
    mark_earned(assignment)
    return reward


def mark_earned(assignment: Assignment) -> Reward | None:
    """Called after each practice: the week's reward is earned once the goal is met."""
    today = local_today(assignment.client)
    reward = Reward.objects.filter(
        assignment=assignment, week_start=week_start(today), earned_at__isnull=True
    ).first()
    if reward is None:
        return None
    if progress_for([assignment], today)[assignment.pk].met:
        reward.earned_at = timezone.now()
        reward.save(update_fields=["earned_at"])
        return reward
    return None
