"""Sessions and reviews in a client's data download: the sessions, their own look back before a session, the
therapist's ratings in it (without the therapist's own note) and the look back at the end of treatment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.homework.engagement_items import ITEMS
from emotipal.homework.models import RetroactiveRating, SelfReview, TherapistReview, TherapySession
from emotipal.privacy.my_data_common import person_name

ITEMS_BY_KEY = {item.key: item for item in ITEMS}


@dataclass(frozen=True)
class Rating:
    """One 0-4 rating with its question and the answer's words, as the one who rated was asked."""

    key: str
    question: str
    value: Any
    answer: str


def ratings(values: dict[str, Any] | None, role: str) -> list[Rating]:
    rows = []
    for key, value in (values or {}).items():
        item = ITEMS_BY_KEY.get(key)
        if item is None:  # a dimension no longer asked: kept, under its code
            rows.append(Rating(key, key, value, str(value)))
            continue
        anchors = item.anchors_for(role)
        answer = str(anchors[value]) if isinstance(value, int) and 0 <= value < len(anchors) else str(value)
        question = item.client if role == "client" else item.therapist
        rows.append(Rating(key, str(question), value, f"{value} / 4 · {answer}"))
    return rows


@dataclass(frozen=True)
class SessionRow:
    number: int
    date: dt.date
    therapist: str


@dataclass(frozen=True)
class SelfReviewRow:
    session_number: int
    ratings: list[Rating]
    helpfulness: Any
    what_i_did: str
    what_i_learned: str
    what_got_in_way: str
    created_at: dt.datetime


@dataclass(frozen=True)
class TherapistReviewRow:
    """The therapist's ratings in session. Their own note is not included (see my_data_coverage.py)."""

    session_number: int
    reviewer: str
    ratings: list[Rating]
    learned: str
    change_next: str
    reviewed_at: dt.datetime


@dataclass(frozen=True)
class LookBackRow:
    """A rating of the whole course of homework at the end of treatment (the client's, or the therapist's)."""

    rater_role: str
    rater: str
    quantity: Any
    quality: Any
    note: str  # the client's own note; a therapist's note is theirs (see my_data_coverage.py)
    created_at: dt.datetime


def sessions(profile: ClientProfile) -> list[SessionRow]:
    rows = TherapySession.objects.filter(client=profile).select_related("therapist").order_by("number")
    return [SessionRow(s.number, s.date, person_name(s.therapist)) for s in rows]


def self_review(s: SelfReview) -> SelfReviewRow:
    return SelfReviewRow(
        s.session.number,
        ratings(s.ratings, "client"),
        s.helpfulness,
        s.what_i_did,
        s.what_i_learned,
        s.what_got_in_way,
        s.created_at,
    )


def therapist_review(t: TherapistReview) -> TherapistReviewRow:
    return TherapistReviewRow(
        t.session.number,
        person_name(t.reviewer),
        ratings(t.ratings, "therapist"),
        t.learned,
        t.change_next,
        t.reviewed_at,
    )


def look_back(profile: ClientProfile) -> list[LookBackRow]:
    rows = RetroactiveRating.objects.filter(client=profile).select_related("rater").order_by("created_at")
    return [
        LookBackRow(
            rater_role=str(r.get_rater_role_display()),
            rater=_("You") if r.rater_id == profile.user_id else person_name(r.rater),
            quantity=r.quantity,
            quality=r.quality,
            note=r.note if r.rater_role == RetroactiveRating.Rater.CLIENT else "",
            created_at=r.created_at,
        )
        for r in rows
    ]
