"""Read models for pages and the API, each a fixed number of queries however many clients or entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.engagement import EngagementIndex, engagement_index
from emotipal.homework import compliance
from emotipal.homework.goals import week_target
from emotipal.homework.models import Assignment, Entry
from emotipal.platform import clock


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def active_assignments(client: ClientProfile, today: dt.date) -> QuerySet[Assignment]:
    """The homework open today: started, not past its end, not stopped and not paused.

    Once treatment has ended nothing is open, whatever an assignment's own dates say."""
    if client.discharged_on is not None and client.discharged_on <= today:
        return Assignment.objects.none()
    start = week_start(today)
    submitted = Q(entries__status=Entry.Status.SUBMITTED)
    return (
        Assignment.objects.filter(
            client=client,
            start_date__lte=today,
            end_date__gte=today,
            ended_at__isnull=True,
            paused_at__isnull=True,
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
    today: dt.date

    @property
    def week_target(self) -> int:
        """Practices asked for this week: none for the days before the homework started (goals.week_share)."""
        return week_target(self.assignment, self.today)

    @property
    def week_target_met(self) -> bool:
        return self.done_this_week >= self.week_target


def today_items(client: ClientProfile, today: dt.date) -> list[TodayItem]:
    """What the client sees on Today: due items first, then the rest of this week's homework."""
    items = [
        TodayItem(
            assignment=a,
            due_today=a.is_due_on(today) and a.done_today == 0,  # type: ignore[attr-defined]
            done_today=a.done_today,  # type: ignore[attr-defined]
            done_this_week=a.done_this_week,  # type: ignore[attr-defined]
            has_draft=a.open_drafts > 0,  # type: ignore[attr-defined]
            today=today,
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
    unreviewed: int = 0  # submitted entries the therapist has not opened and marked
    homework_to_review: int = 0  # homework whose review session has come, with no therapist review
    last_submitted_at: dt.datetime | None = None
    last_self_review: dt.datetime | None = None
    open_barriers: int = 0
    weekly_index: list[float | None] = field(default_factory=list)
    index: EngagementIndex | None = None

    @property
    def compliance_pct(self) -> int | None:
        if not self.planned_this_week:
            return None
        return min(100, round(100 * self.done_this_week / self.planned_this_week))


def caseload_rows(
    clients: QuerySet[ClientProfile], today: dt.date | None = None, weeks: int = 4
) -> list[CaseloadRow]:
    """One row per client from a fixed number of queries (see compliance.gather).

    Each client's week and today are their own (in their zone) unless `today` is given for all.
    """
    profiles = list(clients.select_related("user", "therapist", "clinic"))
    rows = {c.pk: CaseloadRow(client=c) for c in profiles}
    ids = list(rows)
    now = clock.now()
    records = compliance.gather(profiles, until=today, now=now)
    sessions = compliance.sessions_by_client(ids)
    status = compliance.review_status(ids)
    for client_id, rec in records.items():
        row = rows[client_id]
        client_today = rec.today
        start = week_start(client_today)
        first_week = start - dt.timedelta(weeks=weeks - 1)
        by_week = compliance.weekly(rec, first_week=first_week, last_week=start, now=now)
        row.weekly_index = [engagement_index(by_week[w]).value for w in sorted(by_week)]
        row.index = engagement_index(
            compliance.figures(rec, start=first_week, end=client_today, now=now, period="week")
        )
        row.planned_this_week = sum(1 for p in rec.planned if p.day >= start)
        # Counted here, not in SQL: each client's week starts on their own Monday.
        row.done_this_week = sum(n for day, n in rec.practice_days.items() if start <= day <= client_today)
        row.active_assignments = sum(1 for a in rec.assignments.values() if a.is_active_on(client_today))
        row.homework_to_review = len(compliance.unreviewed_homework(rec, sessions[client_id], client_today))
        row.last_self_review = status[client_id].last_self_review
        row.open_barriers = status[client_id].open_barriers
    submitted = Entry.objects.filter(assignment__client_id__in=ids, status=Entry.Status.SUBMITTED)
    stats = submitted.values("assignment__client_id").annotate(
        unreviewed=Count("id", filter=Q(review__isnull=True)),
        last=Max("submitted_at"),
    )
    for stat in stats:
        row = rows[stat["assignment__client_id"]]
        row.unreviewed, row.last_submitted_at = stat["unreviewed"], stat["last"]
    return sorted(rows.values(), key=lambda r: (-r.homework_to_review, -r.open_barriers, str(r.client)))
