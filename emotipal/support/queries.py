"""Read models: the coach's page, the client's support page, encouragement on Today, the therapist's line.

The coach's page is a fixed number of queries however many days the client practised: one for the links,
one for all practice days, one for the counts of recent messages, and one per client who shares the goal."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from emotipal.accounts.models import ClientProfile
from emotipal.homework.goals import week_target
from emotipal.homework.models import Entry
from emotipal.homework.queries import active_assignments
from emotipal.platform import clock
from emotipal.support.models import Encouragement, SupportLink

DAYS_SHOWN = 14  # "which days I practised": the last two weeks, today included


@dataclass(frozen=True)
class WeekGoal:
    planned: int  # practices asked for this week, across the client's open homework
    done: int  # practices done this week

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.planned)) if self.planned else 0


@dataclass(frozen=True)
class SharedView:
    """What one coach sees of one client: only what the client ticked (None: not shared)."""

    link: SupportLink
    name: str
    days: list[tuple[dt.date, bool]] | None
    goal: WeekGoal | None
    sent_last_day: int


def coach_page(links: list[SupportLink], now: dt.datetime | None = None) -> list[SharedView]:
    now = now or clock.now()
    todays = {link.pk: clock.client_today(link.client, now) for link in links}
    practised: dict[int, set[dt.date]] = defaultdict(set)
    sharing_days = [link for link in links if link.share_days]
    if sharing_days:
        earliest = min(todays[link.pk] for link in sharing_days) - dt.timedelta(days=DAYS_SHOWN - 1)
        rows = (
            Entry.objects.filter(
                assignment__client_id__in=[link.client_id for link in sharing_days],
                status=Entry.Status.SUBMITTED,
                practice_date__gte=earliest,
            )
            .values_list("assignment__client_id", "practice_date")
            .distinct()
        )
        for client_id, day in rows:
            practised[client_id].add(day)
    day_ago = now - dt.timedelta(days=1)
    sent = dict(
        SupportLink.objects.filter(pk__in=[link.pk for link in links])
        .annotate(n=Count("encouragements", filter=Q(encouragements__sent_at__gt=day_ago)))
        .values_list("pk", "n")
    )
    views = []
    for link in links:
        today = todays[link.pk]
        days = None
        if link.share_days:
            span = [today - dt.timedelta(days=i) for i in range(DAYS_SHOWN - 1, -1, -1)]
            days = [(day, day in practised[link.client_id]) for day in span]
        views.append(
            SharedView(
                link=link,
                name=str(link.client.user),
                days=days,
                goal=week_goal(link.client, today) if link.share_goal else None,
                sent_last_day=sent.get(link.pk, 0),
            )
        )
    return views


def week_goal(client: ClientProfile, today: dt.date) -> WeekGoal:
    """Planned against done this week, over the open homework: counts only, no exercise named (one query)."""
    planned = done = 0
    for assignment in active_assignments(client, today):
        planned += week_target(assignment, today)
        done += assignment.done_this_week  # type: ignore[attr-defined]
    return WeekGoal(planned=planned, done=done)


def unread_encouragement(client: ClientProfile, limit: int = 10) -> list[Encouragement]:
    """Messages the client has not dismissed, from a link that is still open, newest first (one query)."""
    return list(
        Encouragement.objects.filter(
            link__client=client, link__ended_at__isnull=True, dismissed_at__isnull=True
        )
        .select_related("link")
        .order_by("-sent_at", "-pk")[:limit]
    )


def support_person_since(client: ClientProfile) -> dt.date | None:
    """The day, in the client's own zone, their current support person accepted (for the therapist:
    existence only, never who or what was said or shared)."""
    accepted = (
        SupportLink.objects.filter(client=client, ended_at__isnull=True, coach__isnull=False)
        .values_list("accepted_at", flat=True)
        .first()
    )
    return clock.local_date(accepted, clock.zone_for_client(client)) if accepted else None
