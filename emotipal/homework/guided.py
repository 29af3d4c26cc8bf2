"""Read models and plain helpers of the guided assign flow: the last homework and its review, the client's
earlier goals, the draft of the written summary, and the ways to make a task smaller.

Nothing here writes: services.assign_homework stores what the therapist agreed with the client.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment, SelfReview, TherapistReview, TherapySession
from emotipal.homework.review_forms import rating_rows
from emotipal.homework.reviews import due_for_review
from emotipal.platform import clock

# --- the last homework ------------------------------------------------------------------------------------------


@dataclass
class LastItem:
    """One homework due for review in the session where the new one is set, with what was said about it."""

    assignment: Assignment
    review: TherapistReview | None
    self_review: SelfReview | None

    @property
    def rows(self) -> list[tuple[Any, str]]:
        """The therapist's ratings that were given, as (question, "3 · Mostly")."""
        return _given(self.review.ratings if self.review is not None else None, "therapist")

    @property
    def self_rows(self) -> list[tuple[Any, str]]:
        return _given(self.self_review.ratings if self.self_review is not None else None, "client")


def _given(ratings: Any, role: str) -> list[tuple[Any, str]]:
    if not isinstance(ratings, dict):
        return []
    return [(q, shown) for q, shown in rating_rows(ratings, role) if shown != "—"]


@dataclass
class LastHomework:
    session: TherapySession | None  # the session the new homework is set in (the review happens there)
    items: list[LastItem] = field(default_factory=list)

    @property
    def reviewed(self) -> bool | None:
        """True when every homework due was reviewed, False when one was not, None when nothing was due."""
        if not self.items:
            return None
        return all(item.review is not None for item in self.items)

    @property
    def unreviewed(self) -> list[LastItem]:
        return [item for item in self.items if item.review is None]


def setting_session(client: ClientProfile, chosen: TherapySession | None) -> TherapySession | None:
    """The session the homework is set in: the one chosen, else the client's latest one up to today."""
    if chosen is not None:
        return chosen
    today = clock.client_today(client)
    return client.sessions.filter(date__lte=today).order_by("-number").first()


def last_homework(client: ClientProfile, session: TherapySession | None) -> LastHomework:
    """The homework due for review in `session` and its reviews, in four queries whatever their number."""
    if session is None:
        return LastHomework(session=None)
    due = due_for_review(client, session)
    ids = [a.pk for a in due]
    reviews = {
        r.assignment_id: r for r in TherapistReview.objects.filter(session=session, assignment_id__in=ids)
    }
    selfs = {s.assignment_id: s for s in SelfReview.objects.filter(session=session, assignment_id__in=ids)}
    return LastHomework(
        session=session,
        items=[LastItem(a, reviews.get(a.pk), selfs.get(a.pk)) for a in due],
    )


def goal_suggestions(client: ClientProfile, limit: int = 8) -> list[str]:
    """The goals written on the client's earlier assignments, newest first, each once."""
    seen: list[str] = []
    for goal in (
        Assignment.objects.filter(client=client).order_by("-created_at").values_list("goal", flat=True)
    ):
        text = (goal or "").strip()
        if text and text not in seen:
            seen.append(text)
        if len(seen) >= limit:
            break
    return seen


# --- the written summary ------------------------------------------------------------------------------------------


@dataclass
class SummaryParts:
    """The fields a summary is drafted from, as far as they are filled in."""

    title: str = ""
    instructions: str = ""
    practice_days: list[int] = field(default_factory=list)
    practice_time: dt.time | None = None
    practice_place: str = ""
    times_per_week: int | None = None
    minutes_per_practice: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    backup_plan: str = ""


def draft_summary(parts: SummaryParts) -> str:
    """A plain summary the client reads on Today: what, when, where, how often, how long, and plan B."""
    lines: list[str] = []
    what = parts.title.strip()
    if parts.instructions.strip():
        what = f"{what}: {parts.instructions.strip()}" if what else parts.instructions.strip()
    if what:
        lines.append(_("What: %(what)s") % {"what": what})
    when = []
    if parts.practice_days:
        when.append(", ".join(str(WEEKDAYS[d]) for d in sorted(parts.practice_days) if d in WEEKDAYS))
    if parts.practice_time is not None:
        when.append(_("at %(time)s") % {"time": time_format(parts.practice_time)})
    if when:
        lines.append(_("When: %(when)s") % {"when": " ".join(when)})
    if parts.practice_place.strip():
        lines.append(_("Where: %(place)s") % {"place": parts.practice_place.strip()})
    if parts.times_per_week:
        often = ngettext("%(n)d time a week", "%(n)d times a week", parts.times_per_week) % {
            "n": parts.times_per_week
        }
        if parts.start_date and parts.end_date:
            often += " " + _("from %(start)s to %(end)s") % {
                "start": date_format(parts.start_date),
                "end": date_format(parts.end_date),
            }
        lines.append(_("How often: %(often)s") % {"often": often})
    if parts.minutes_per_practice:
        lines.append(
            _("How long: %(minutes)s")
            % {
                "minutes": ngettext("%(n)d minute", "%(n)d minutes", parts.minutes_per_practice)
                % {"n": parts.minutes_per_practice}
            }
        )
    if parts.backup_plan.strip():
        lines.append(_("If it does not work out: %(plan)s") % {"plan": parts.backup_plan.strip()})
    return "\n".join(lines)


# --- making it smaller ----------------------------------------------------------------------------------------------

MICRO_MINUTES = 5
MICRO_TIMES = 3


@dataclass(frozen=True)
class Smaller:
    """A one-click way to make the task smaller: its key (what the page posts), its wording and new values."""

    key: str
    label: str
    changes: dict[str, Any]


def smaller_options(times_per_week: int | None, minutes_per_practice: int | None) -> list[Smaller]:
    """The ways to shrink this plan that still change something (a 1-minute task cannot be halved)."""
    options: list[Smaller] = []
    minutes = minutes_per_practice or 0
    times = times_per_week or 0
    if minutes > 1:
        half = max(1, math.ceil(minutes / 2))
        options.append(
            Smaller(
                "shorter",
                _("Shorter: %(old)d → %(new)d minutes each time") % {"old": minutes, "new": half},
                {"minutes_per_practice": half},
            )
        )
    if times > 1:
        fewer = max(1, math.ceil(times / 2))
        options.append(
            Smaller(
                "less_often",
                _("Less often: %(old)d → %(new)d times a week") % {"old": times, "new": fewer},
                # Picked days no longer add up: spread the new number over the week instead.
                {"times_per_week": fewer, "practice_days": []},
            )
        )
    if minutes > MICRO_MINUTES or times > MICRO_TIMES:
        micro_minutes = min(minutes or MICRO_MINUTES, MICRO_MINUTES)
        micro_times = min(times or MICRO_TIMES, MICRO_TIMES)
        options.append(
            Smaller(
                "micro",
                _("A first small step: %(minutes)d minutes, %(times)d times a week")
                % {"minutes": micro_minutes, "times": micro_times},
                {
                    "minutes_per_practice": micro_minutes,
                    "times_per_week": micro_times,
                    "practice_days": [],
                },
            )
        )
    return options
