"""Read models of the audit trail for people, not for the database: a clinic admin's filtered log of their
clinic, and a client's "who has seen my data". Names and roles, never internal ids or sealed details."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent

PAGE_SIZE = 50
SEEN_BY_DAYS = 400  # the client's page covers a little over a year of reads

# What a staff read was of, in the client's words; the action names are the apps' ("read.<what>").
READ_LABELS = {
    "caseload": gettext_lazy("Your name in their list of clients"),
    "caseload_obstacles": gettext_lazy("Your name in their list of clients"),
    "clients": gettext_lazy("Your client page"),
    "clinic_admin.clients": gettext_lazy("Your name in the clinic's list of clients"),
    "api.clients": gettext_lazy("Your name in their list of clients (through the API)"),
    "measures": gettext_lazy("Your questionnaires"),
    "session_review": gettext_lazy("Your homework, to review it with you"),
    "ladder": gettext_lazy("Your exposure ladder"),
    "ladders": gettext_lazy("Your exposure ladders"),
    "assign": gettext_lazy("Your homework plan"),
    "assignment_edit": gettext_lazy("Your homework plan"),
    "library.assign_to": gettext_lazy("Your name, to set you an exercise"),
    "end_treatment": gettext_lazy("Your homework, to end treatment"),
    "export.compliance": gettext_lazy("Your homework figures, in a clinic export"),
    "supervision": gettext_lazy("Your therapist's work with you, in supervision"),
    "support": gettext_lazy("What you share with your support person"),
    "research.participants": gettext_lazy("Your study participation (research)"),
    "privacy.clients": gettext_lazy("Your name in the clinic's list for data rights"),
    "privacy.erasure": gettext_lazy("Your record, to erase it or keep it under a legal hold"),
}
ROLE_OF_COACH = gettext_lazy("Your support person")


# Reads recorded under names of their own (older than the "read.<what>" convention).
VIEW_LABELS = {
    "entries.view": gettext_lazy("Your client page and homework entries"),
    "entry.view": gettext_lazy("One of your homework entries"),
    # The client's own copy (privacy app): the clinic's log shows it; in words, should it ever be listed.
    "privacy.my_data_download": gettext_lazy("A copy of all your data, downloaded"),
}


def read_label(action: str) -> str:
    """What someone else saw, in the client's words. Not a read: a change to the client's record, which
    showed it too (an assignment set, an entry reviewed)."""
    if action in VIEW_LABELS:
        return str(VIEW_LABELS[action])
    if action.startswith("export."):
        return _("Your data, in a clinic export")
    if not action.startswith("read."):
        return _("Your record, while making a change to it")
    what = action.removeprefix("read.")
    if what in READ_LABELS:
        return str(READ_LABELS[what])
    if what.startswith("api."):
        return _("Your data, through the API")
    if what.startswith("research"):
        return _("Study data (research)")
    return _("Your data")


# --- the clinic admin's log ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    person: User | None = None
    client: ClientProfile | None = None
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def clinic_events(clinic: Clinic, filters: LogFilters) -> QuerySet[AuditEvent]:
    """The rows that belong to this clinic: marked with it, about one of its clients, or by one of its staff
    about nobody in particular (their own settings). A member of two clinics: what they did about the other
    clinic's clients stays with that clinic."""
    members = Membership.objects.filter(clinic=clinic).values("user_id")
    clients = ClientProfile.objects.filter(clinic=clinic).values("user_id")
    rows = AuditEvent.objects.filter(
        Q(clinic_id=clinic.pk)
        | Q(subject_user_id__in=clients)
        | (Q(actor_id__in=members) & Q(subject_user_id__isnull=True) & Q(clinic_id__isnull=True))
    )
    tz = clock.zone_for_clinic(clinic)
    if filters.person is not None:
        rows = rows.filter(actor_id=filters.person.pk)
    if filters.client is not None:
        rows = rows.filter(subject_user_id=filters.client.user_id)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.since is not None:
        rows = rows.filter(at__gte=clock.at_local_time(filters.since, dt.time(0, 0), tz))
    if filters.until is not None:
        rows = rows.filter(
            at__lt=clock.at_local_time(filters.until + dt.timedelta(days=1), dt.time(0, 0), tz)
        )
    return rows.order_by("-at", "-pk")


def actions_in(clinic: Clinic) -> list[str]:
    return sorted(
        set(clinic_events(clinic, LogFilters()).order_by().values_list("action", flat=True).distinct())
    )


@dataclass(frozen=True)
class LogRow:
    at: dt.datetime  # in the clinic's zone
    who: str
    roles: str
    action: str
    client: str
    target: str
    detail: str


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return {u.pk: u.display_name or u.email for u in User.objects.filter(pk__in=wanted)}


def log_rows(clinic: Clinic, events: Iterable[AuditEvent]) -> list[LogRow]:
    """The page's rows in three queries whatever their number: names, roles."""
    events = list(events)
    tz = clock.zone_for_clinic(clinic)
    names = _names([e.actor_id for e in events] + [e.subject_user_id for e in events])
    roles: dict[int, list[str]] = defaultdict(list)
    labels = dict(Role.choices)
    for user_id, role in Membership.objects.filter(
        clinic=clinic, user_id__in={e.actor_id for e in events if e.actor_id}
    ).values_list("user_id", "role"):
        roles[user_id].append(str(labels.get(role, role)))
    rows = []
    for e in events:
        who = names.get(e.actor_id, _("(account removed)")) if e.actor_id else _("EmotiPal (automatic)")
        role = ", ".join(sorted(roles.get(e.actor_id or 0, [])))
        if not role and e.actor_id is not None and e.actor_id == e.subject_user_id:
            role = _("the client")
        rows.append(
            LogRow(
                at=e.at.astimezone(tz),
                who=who,
                roles=role,
                action=e.action,
                client=names.get(e.subject_user_id, "") if e.subject_user_id else "",
                target=e.target_type.rsplit(".", 1)[-1],
                detail=", ".join(f"{k}={v}" for k, v in sorted(e.detail.items())),
            )
        )
    return rows


# --- the client's "who has seen my data" ----------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRow:
    day: dt.date  # in the client's zone
    who: str
    role: str
    what: str
    times: int


def seen_by(profile: ClientProfile, now: dt.datetime | None = None) -> list[SeenRow]:
    """Every time someone else opened or changed this client's data, one line per person, day and kind. Rows
    without a person (reminders the worker sent) are not someone seeing anything."""
    now = now or clock.now()
    tz = clock.zone_for_client(profile)
    events = list(
        AuditEvent.objects.filter(
            subject_user_id=profile.user_id,
            actor_id__isnull=False,
            at__gte=now - dt.timedelta(days=SEEN_BY_DAYS),
        )
        .exclude(actor_id=profile.user_id)
        .only("at", "actor_id", "action")
        .order_by("-at", "-pk")
    )
    names = _names(e.actor_id for e in events)
    labels = dict(Role.choices)
    roles: dict[int, set[str]] = defaultdict(set)
    for user_id, role in Membership.objects.filter(
        clinic_id=profile.clinic_id, user_id__in=names
    ).values_list("user_id", "role"):
        roles[user_id].add(str(labels.get(role, role)))
    grouped: dict[tuple[dt.date, int, str], int] = {}
    coaches = {e.actor_id for e in events if e.action == "read.support"}
    for e in events:
        what = read_label(e.action)
        assert e.actor_id is not None  # filtered above
        key = (clock.local_date(e.at, tz), e.actor_id, what)
        grouped[key] = grouped.get(key, 0) + 1
    rows = []
    for (day, actor_id, what), times in grouped.items():
        who = names.get(actor_id, _("(account removed)"))
        role = ", ".join(sorted(roles.get(actor_id, set()))) or (
            str(ROLE_OF_COACH) if actor_id in coaches else ""
        )
        rows.append(SeenRow(day, who, role, what, times))
    return rows
