"""Pseudonymous ids and date shifts for exports: keyed per study, so they are stable within a study and
cannot be linked across studies without the study's key (which is never exported)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from emotipal.research.models import Participant, Study

# A participant's dates move by a whole number of days in this range; the same shift for all their dates keeps
# intervals (days between sessions, time to dropout) exact while the calendar dates say nothing.
SHIFT_RANGE_DAYS = 365


def pseudonym(study: Study, kind: str, local_id: int | str) -> str:
    """e.g. pseudonym(study, "client", 42) -> "C-3f9a1c2b7d4e": kind's initial and 12 hex digits of an HMAC."""
    digest = hmac.new(study.pseudonym_key.encode(), f"{kind}:{local_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[:1].upper()}-{digest[:12]}"


def date_shift_for(study: Study, client_id: int) -> int:
    """A shift in [-SHIFT_RANGE_DAYS, -1] derived from the study's key: never 0, reproducible, per participant."""
    digest = hmac.new(study.pseudonym_key.encode(), f"shift:{client_id}".encode(), hashlib.sha256).digest()
    return -1 - int.from_bytes(digest[:4], "big") % SHIFT_RANGE_DAYS


def shifted(participant: Participant, day: dt.date | dt.datetime | None) -> dt.date | dt.datetime | None:
    if day is None:
        return None
    return day + dt.timedelta(days=participant.date_shift_days)
