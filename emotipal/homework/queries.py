"""Read models for pages and the API, each a fixed number of queries however many clients or entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.engagement import EngagementIndex, engagement_index
from emotipal.homework import compliance
from emotipal.homework.goals import week_target
from emotipal.homework.models import Assignment, Barrier, Entry
from emotipal.platform import clock
from emotipal.platform.extensions import ClientIds


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def active_assignments(client: ClientProfile, today: dt.date) -> QuerySet[Assignment]:
    """The homework open today: started, not past its end, not stopped and not paused.

    Once treatment has ended nothing is open, whatever an assignment's own dates say."""
    return active_assignments_of_many([client], today)


def active_assignments_of_many(clients: list[ClientProfile], today: dt.date) -> QuerySet[Assignment]:
    """active_assignments of many clients in one query (each client's in the same order)."""
    in_care = [c.pk for c in clients if c.discharged_on is None or c.discharged_on > today]
    if not in_care:
        return Assignment.objects.none()
    start = week_start(today)
    submitted = Q(entries__status=Entry.Status.SUBMITTED)
    return (
        Assignment.objects.filter(
            client__in=in_care,
            start_date__lte=today,
            end_date__gte=today,
            ended_at__isnull=True,
            paused_at__isnull=True,
        )
        .select_related("template_version")
        .annotate(
            done_this_week=Count("entries", filter=submitted & Q(entries__practice_date__gte=start)),
            done_today=Count("entries", filter=submitted & Q(entries__practice_date=today)),
            open_drafts=Count(  # a draft only once something was typed into it
                "entries", filter=Q(entries__status=Entry.Status.DRAFT, entries__draft_saves__gt=0)
            ),
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
    # The client said "I couldn't do it today" for today's practice: the card says it was noted.
    barrier_noted: bool = False

    @property
    def week_target(self) -> int:
        """Practices asked for this week: none for the days before the homework started (goals.week_share)."""
        return week_target(self.assignment, self.today)

    @property
    def week_target_met(self) -> bool:
        return self.done_this_week >= self.week_target


def today_items(client: ClientProfile, today: dt.date) -> list[TodayItem]:
    """What the client sees on Today: due items first, then the rest of this week's homework."""
    return today_items_of_many([client], today)[client.pk]


def today_items_of_many(clients: list[ClientProfile], today: dt.date) -> dict[int, list[TodayItem]]:
    """today_items of many clients (by client id) in two queries: a batch of reminders reads them at once."""
    by_pk = {c.pk: c for c in clients}
    assignments = list(active_assignments_of_many(clients, today))
    for a in assignments:  # their titles follow the client's language and arm: one client object, read once
        a.client = by_pk[a.client_id]
    noted = set(
        Barrier.objects.filter(assignment__in=assignments, day=today).values_list("assignment_id", flat=True)
    )
    items: dict[int, list[TodayItem]] = {c.pk: [] for c in clients}
    for a in assignments:
        items[a.client_id].append(
            TodayItem(
                assignment=a,
                barrier_noted=a.pk in noted,
                due_today=a.is_due_on(today) and a.done_today == 0,  # type: ignore[attr-defined]
                done_today=a.done_today,  # type: ignore[attr-defined]
                done_this_week=a.done_this_week,  # type: ignore[attr-defined]
                has_draft=a.open_drafts > 0,  # type: ignore[attr-defined]
                today=today,
            )
        )
    return {
        pk: sorted(found, key=lambda i: (not i.due_today, i.week_target_met)) for pk, found in items.items()
    }


@dataclass
class CaseloadRow:
    client_id: int
    name: str  # as the client is named on the page (str(user)): display name, else e-mail address
    discharged_on: dt.date | None
    # Loaded for the rows shown (attach_clients), not for every client the filters and sorts look at.
    profile: ClientProfile | None = None
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
    # What the questionnaires app says (open_alerts, deteriorated, latest), filled through a slot by the page.
    outcomes: Any = None

    @property
    def client(self) -> ClientProfile:
        if self.profile is None:
            raise LookupError("a caseload row's client is loaded only once it is shown (attach_clients)")
        return self.profile

    @property
    def last_activity(self) -> dt.datetime | None:
        """The client's latest homework or self-review: what "last activity" sorts on."""
        return max(
            (t for t in (self.last_submitted_at, self.last_self_review) if t is not None), default=None
        )

    @property
    def at_risk(self) -> bool:
        return bool(self.outcomes and (self.outcomes.open_alerts or self.outcomes.deteriorated))

    @property
    def needs_review(self) -> bool:
        return bool(self.unreviewed or self.homework_to_review)

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
    rows = _triage_rows(clients, today)
    attach_clients(rows, clients)
    _add_figures(rows, today, weeks)
    return sorted(rows, key=lambda r: (-r.homework_to_review, -r.open_barriers, r.name))


def _triage_rows(
    clients: QuerySet[ClientProfile], today: dt.date | None = None, to_review: dict[int, int] | None = None
) -> list[CaseloadRow]:
    """Rows with what the caseload filters and sorts on (review status, last activity, obstacles) for every
    client, from a fixed number of narrow queries: no entries and no encrypted texts are loaded.
    `to_review`: the homework-to-review counts, when the caller has them already (the client page).

    The queries name the clients by a subquery (ids_of), not by thousands of bound ids; a client added
    between the queries is in none of the rows and is left out of them."""
    # Plain values, not model instances: at 5,000 clients, 15,000 instances (profile, user, the shared
    # therapist and clinic attached to each) were a third of the page's time (bench/bench_pages.py).
    light = clients.order_by().values_list(
        "pk", "user__display_name", "user__email", "discharged_on", "timezone", "clinic__timezone"
    )
    ids = ids_of(clients)
    now = clock.now()
    rows: dict[int, CaseloadRow] = {}
    todays: dict[int, dt.date] = {}
    # A clinic's clients share a few zones: each pair (own, clinic's) is looked up once.
    zones: dict[tuple[str | None, str | None], dt.date] = {}
    for pk, display_name, email, discharged_on, own_zone, clinic_zone in light:
        rows[pk] = CaseloadRow(client_id=pk, name=display_name or email, discharged_on=discharged_on)
        pair = (own_zone, clinic_zone)
        if pair not in zones:  # as clock.zone_for_client: the client's own zone, else the clinic's, else UTC
            zone = clock.zone(own_zone) or clock.zone(clinic_zone) or clock.UTC
            zones[pair] = today or clock.local_today(zone, now)
        todays[pk] = zones[pair]
    status = compliance.review_status(ids)
    if to_review is None:
        to_review = compliance.homework_to_review_counts(todays, ids)
    for client_id, row in rows.items():
        row.homework_to_review = to_review[client_id]
        row.last_self_review = status[client_id].last_self_review
        row.open_barriers = status[client_id].open_barriers
    submitted = Entry.objects.filter(assignment__client_id__in=ids, status=Entry.Status.SUBMITTED)
    stats = submitted.values("assignment__client_id").annotate(
        unreviewed=Count("id", filter=Q(review__isnull=True)),
        last=Max("submitted_at"),
    )
    for stat in stats:
        if (found := rows.get(stat["assignment__client_id"])) is not None:
            found.unreviewed, found.last_submitted_at = stat["unreviewed"], stat["last"]
    return list(rows.values())


def attach_clients(rows: list[CaseloadRow], clients: QuerySet[ClientProfile]) -> None:
    """Load the given rows' clients (with their user, therapist and clinic: what the page and the audit show)
    in three queries, however many rows."""
    wanted = [r.client_id for r in rows]
    profiles = clients.filter(pk__in=wanted).select_related("user").prefetch_related("therapist", "clinic")
    by_id = {p.pk: p for p in profiles}
    for row in rows:
        row.profile = by_id.get(row.client_id)
    # A client removed between the triage and now is no longer shown.
    rows[:] = [r for r in rows if r.profile is not None]


def ids_of(clients: QuerySet[ClientProfile]) -> ClientIds:
    """The clients' ids as a subquery (unordered: an ORDER BY inside IN (...) is work for nothing)."""
    return clients.order_by().values_list("pk", flat=True)


def _add_figures(rows: list[CaseloadRow], today: dt.date | None, weeks: int) -> None:
    """The week's plan, practice and engagement index of the given rows (the shown page, not the whole
    caseload): these need each client's whole homework record (compliance.gather)."""
    now = clock.now()
    by_client = {r.client.pk: r for r in rows}
    # Only the weeks shown are read (not every entry each client ever made): from the earliest first week.
    todays = [today or clock.local_today(clock.zone_for_client(r.client), now) for r in rows]
    since = week_start(min(todays, default=now.date())) - dt.timedelta(weeks=weeks - 1)
    records = compliance.gather([r.client for r in rows], until=today, now=now, since=since)
    for client_id, rec in records.items():
        _fill_figures(by_client[client_id], rec, weeks, now)


def _fill_figures(row: CaseloadRow, rec: compliance.ClientRecords, weeks: int, now: dt.datetime) -> None:
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


def client_row(
    client: ClientProfile, record: compliance.ClientRecords, homework_to_review: int, weeks: int = 4
) -> CaseloadRow:
    """The caseload row of one client whose whole homework record the caller has already read (the client
    page, for its engagement section, which also counted the homework to review): the triage's narrow
    queries, and the figures from that record instead of reading it again. The figures select their weeks by
    day, so they are those caseload_rows gives."""
    [row] = _triage_rows(
        ClientProfile.objects.filter(pk=client.pk), record.today, {client.pk: homework_to_review}
    )
    row.profile = client
    _fill_figures(row, record, weeks, clock.now())
    return row


# --- the caseload page: search, filters, sorting and pages -----------------------------------------------------

CASELOAD_PAGE_SIZE = 25
SEARCH_LIMIT = 100  # characters of a search kept; a name or an e-mail address is shorter
CASELOAD_FILTERS = ("all", "active", "ended", "at_risk", "needs_review")
CASELOAD_SORTS = ("risk", "name", "activity")
_FILTER_TESTS: dict[str, Callable[[CaseloadRow], bool]] = {
    "all": lambda r: True,
    "active": lambda r: r.discharged_on is None,
    "ended": lambda r: r.discharged_on is not None,
    "at_risk": lambda r: r.at_risk,
    "needs_review": lambda r: r.needs_review,
}
_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _name_key(row: CaseloadRow) -> str:
    return row.name.casefold()


def _risk_key(row: CaseloadRow) -> tuple[int, int, int, str]:
    # Open alerts first, then reliable deterioration, then what waits for the therapist.
    out = row.outcomes
    return (
        -(out.open_alerts if out else 0),
        -(len(out.deteriorated) if out else 0),
        -(row.homework_to_review + row.unreviewed),
        _name_key(row),
    )


def _sorted(rows: list[CaseloadRow], sort: str) -> list[CaseloadRow]:
    if sort == "name":
        return sorted(rows, key=_name_key)
    if sort == "activity":  # the most recent first; clients with no activity at the end, by name
        by_name = sorted(rows, key=_name_key)
        return sorted(by_name, key=lambda r: r.last_activity or _OLDEST, reverse=True)
    return sorted(rows, key=_risk_key)


@dataclass
class CaseloadPage:
    page: Page  # of CaseloadRow
    search: str
    show: str
    sort: str
    counts: dict[str, int]  # clients matching the search under each filter
    total: int  # clients matching the search and the filter

    @property
    def rows(self) -> list[CaseloadRow]:
        return list(self.page.object_list)


def caseload_page(
    clients: QuerySet[ClientProfile],
    outcomes: Callable[[ClientIds], dict[int, Any]],
    *,
    risks: Callable[[ClientIds], dict[int, Any]] | None = None,
    search: str = "",
    show: str = "all",
    sort: str = "risk",
    page: str | int | None = 1,
    per_page: int = CASELOAD_PAGE_SIZE,
) -> CaseloadPage:
    """One page of the caseload, in a fixed number of queries however many clients there are.

    The search narrows in SQL (name or e-mail address). Risk and review status come from several apps and
    from each client's own week, so the filters and the sort run on light rows of every client in Python;
    only the page's rows get their figures (their whole homework record read) and are shown (and audited by
    the view). `outcomes` is the questionnaires app's answer (client ids -> flags) for the page's clients, and
    `risks` its answer for every client at once (open alerts and deterioration only; default: `outcomes`).
    """
    search = search.strip()[:SEARCH_LIMIT]
    show = show if show in CASELOAD_FILTERS else "all"
    sort = sort if sort in CASELOAD_SORTS else "risk"
    if search:
        clients = clients.filter(Q(user__display_name__icontains=search) | Q(user__email__icontains=search))
    rows = _triage_rows(clients)
    flags = (risks or outcomes)(ids_of(clients))
    for row in rows:
        row.outcomes = flags[row.client_id]
    counts = {name: sum(1 for r in rows if test(r)) for name, test in _FILTER_TESTS.items()}
    chosen = _sorted([r for r in rows if _FILTER_TESTS[show](r)], sort)
    shown = Paginator(chosen, per_page).get_page(page)
    # Only the page's clients are loaded and have their whole record read: the figures beside each name.
    page_rows = list(shown.object_list)
    attach_clients(page_rows, clients)
    shown.object_list = page_rows
    _add_figures(page_rows, None, 4)
    if risks is not None:  # and their latest scores
        full = outcomes([r.client_id for r in page_rows])
        for row in shown.object_list:
            row.outcomes = full[row.client.pk]
    return CaseloadPage(page=shown, search=search, show=show, sort=sort, counts=counts, total=len(chosen))
