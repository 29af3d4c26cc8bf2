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


def progress_for(assignments: list[Assignment], today: dt.date) -> dict[int, GoalProgress]:
    """Two queries for any number of assignments."""
    start = week_start(today)
    minutes: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for entry in Entry.objects.filter(
        assignment__in=assignments,
        status=Entry.Status.SUBMITTED,
        practice_date__gte=start,
        practice_date__lte=today,
    ).only("assignment_id", "practice_date", "answers", "active_seconds"):
        minutes[entry.assignment_id][entry.practice_date] += practice_minutes(entry)
    rewards = {
        r.assignment_id: r for r in Reward.objects.filter(assignment__in=assignments, week_start=start)
    }
    result = {}
    for a in assignments:
        days = minutes[a.pk]
        result[a.pk] = GoalProgress(
            minutes_today=round(days.get(today, 0.0), 1),
            minutes_week=round(sum(days.values()), 1),
            goal_minutes_week=a.minutes_per_practice * a.times_per_week,
            days_week=len(days),
            goal_days_week=min(a.times_per_week, 7),
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
