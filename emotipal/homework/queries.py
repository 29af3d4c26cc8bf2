"""Read models for pages and the API, each a fixed number of queries however many clients or entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment, Entry


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def active_assignments(client: ClientProfile, today: dt.date) -> QuerySet[Assignment]:
    start = week_start(today)
    submitted = Q(entries__status=Entry.Status.SUBMITTED)
    return (
        Assignment.objects.filter(
            client=client, start_date__lte=today, end_date__gte=today, ended_at__isnull=True
        )
        .select_related("template_version")
        .annotate(
            done_this_week=Count("entries", filter=submitted & Q(entries__practice_date__gte=start)),
            done_today=Count("entries", filter=submitted & Q(entries__practice_date=today)),
            open_drafts=Count("entries", filter=Q(entries__status=Entry.Status.DRAFT)),
        )
        .order_by("start_date", "id")
    )


@dataclass
class TodayItem:
    assignment: Assignment
    due_today: bool
    done_today: int
    done_this_week: int
    has_draft: bool

    @property
    def week_target_met(self) -> bool:
        return self.done_this_week >= self.assignment.times_per_week


def today_items(client: ClientProfile, today: dt.date) -> list[TodayItem]:
    """What the client sees on Today: due items first, then the rest of this week's homework."""
    items = [
        TodayItem(
            assignment=a,
            due_today=a.is_due_on(today) and a.done_today == 0,  # type: ignore[attr-defined]
            done_today=a.done_today,  # type: ignore[attr-defined]
            done_this_week=a.done_this_week,  # type: ignore[attr-defined]
            has_draft=a.open_drafts > 0,  # type: ignore[attr-defined]
        )
        for a in active_assignments(client, today)
    ]
    return sorted(items, key=lambda i: (not i.due_today, i.week_target_met))


@dataclass
class CaseloadRow:
    client: ClientProfile
    planned_this_week: int = 0
    done_this_week: int = 0
    active_assignments: int = 0
    unreviewed: int = 0
    last_submitted_at: dt.datetime | None = None
    weekly_done: list[int] = field(default_factory=list)

    @property
    def compliance_pct(self) -> int | None:
        if not self.planned_this_week:
            return None
        return round(100 * self.done_this_week / self.planned_this_week)


def caseload_rows(clients: QuerySet[ClientProfile], today: dt.date, weeks: int = 4) -> list[CaseloadRow]:
    """One row per client, built from four queries in all."""
    rows = {c.pk: CaseloadRow(client=c) for c in clients.select_related("user", "therapist")}
    ids = list(rows)
    start = week_start(today)
    plans = (
        Assignment.objects.filter(
            client_id__in=ids, start_date__lte=today, end_date__gte=start, ended_at__isnull=True
        )
        .values("client_id")
        .annotate(planned=Sum("times_per_week"), n=Count("id"))
    )
    for plan in plans:
        rows[plan["client_id"]].planned_this_week = plan["planned"] or 0
        rows[plan["client_id"]].active_assignments = plan["n"]
    submitted = Entry.objects.filter(assignment__client_id__in=ids, status=Entry.Status.SUBMITTED)
    stats = submitted.values("assignment__client_id").annotate(
        unreviewed=Count("id", filter=Q(review__isnull=True)), last=Max("submitted_at")
    )
    for stat in stats:
        row = rows[stat["assignment__client_id"]]
        row.unreviewed, row.last_submitted_at = stat["unreviewed"], stat["last"]
    first_week = start - dt.timedelta(weeks=weeks - 1)
    per_week: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for client_id, day in submitted.filter(
        practice_date__gte=first_week, practice_date__lte=today
    ).values_list("assignment__client_id", "practice_date"):
        per_week[client_id][(day - first_week).days // 7] += 1
    for client_id, row in rows.items():
        row.weekly_done = per_week[client_id]
        row.done_this_week = row.weekly_done[-1]
    return sorted(rows.values(), key=lambda r: (-r.unreviewed, str(r.client)))
