"""The participants of one export, each with what de-identifies their records: pseudonym, date shift, day 0,
the last moment whose data may be used, and whether their free text may be.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from emotipal.platform import clock
from emotipal.research import pseudonyms
from emotipal.research.consent_rules import Inclusion, inclusion
from emotipal.research.models import (
    ConsentScope,
    DataUse,
    Participant,
    Study,
)


def shift_of(study: Study, participant: Participant) -> int:
    """The participant's stored offset; an unset (0) offset is never used as is: real dates would leak."""
    return participant.date_shift_days or pseudonyms.date_shift_for(study, participant.client_id)


@dataclass
class Person:
    """One participant whose data goes into the export."""

    participant: Participant
    inclusion: Inclusion
    key: str
    therapist_key: str
    shift: int
    zone: ZoneInfo
    free_text: bool
    cutoff: dt.datetime | None  # data collected at or after this moment is left out (withdrawal)
    last_day: dt.date  # the last day counted: the participant's today, or the day before withdrawal
    enrolled: dt.date | None
    day0: dt.date = dt.date.min  # set once their records are known (see settle_day0)
    first_dates: list[dt.date] = field(default_factory=list)

    # --- what a record of theirs may show --------------------------------------------------------------

    def keeps(self, *moments: dt.datetime | None) -> bool:
        """Whether a record collected at these moments is before the cutoff (all of them)."""
        return self.cutoff is None or all(m is None or m < self.cutoff for m in moments)

    def keeps_day(self, day: dt.date | None) -> bool:
        return day is None or day <= self.last_day

    def local(self, moment: dt.datetime) -> dt.date:
        return clock.local_date(moment, self.zone)

    def note_date(self, day: dt.date | None) -> None:
        if day is not None:
            self.first_dates.append(day)

    def settle_day0(self) -> None:
        first = min([*self.first_dates, *([self.enrolled] if self.enrolled else [])], default=self.last_day)
        self.day0 = first - dt.timedelta(days=first.weekday())

    def day(self, day: dt.date | None) -> int | None:
        return None if day is None else (day - self.day0).days

    def shifted(self, day: dt.date | None) -> dt.date | None:
        return None if day is None else day + dt.timedelta(days=self.shift)

    def shifted_at(self, moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment + dt.timedelta(days=self.shift)

    def since_enrolment(self, day: dt.date | None) -> int | None:
        return None if day is None or self.enrolled is None else (day - self.enrolled).days

    def when(self, day: dt.date | None, prefix: str = "") -> dict[str, object]:
        """The three columns codebook._when describes."""
        p = f"{prefix}_" if prefix else ""
        return {
            f"{p}day": self.day(day),
            f"{p}date_shifted": self.shifted(day),
            f"{p}days_since_enrolment": self.since_enrolment(day),
        }


def people_for(study: Study, participants: list[Participant], newest: int | None) -> dict[int, Person]:
    """The included participants, by client id; `participants` prefetched with consents and documents."""
    uses_free_text = DataUse.FREE_TEXT in (study.data_uses or [])
    people: dict[int, Person] = {}
    now = clock.now()
    for p in participants:
        decision = inclusion(p, newest)
        if not decision.included:
            continue
        zone = clock.zone_for_client(p.client)
        cutoff = p.withdrawn_at if decision.reason == "withdrawn_keep" else None
        last_day = clock.local_date(now, zone)
        if cutoff is not None:
            last_day = min(last_day, clock.local_date(cutoff, zone) - dt.timedelta(days=1))
        people[p.client_id] = Person(
            participant=p,
            inclusion=decision,
            key=pseudonyms.pseudonym(study, "client", p.client_id),
            therapist_key=pseudonyms.pseudonym(study, "therapist", p.client.therapist_id),
            shift=shift_of(study, p),
            zone=zone,
            free_text=uses_free_text and ConsentScope.FREE_TEXT in decision.scopes,
            cutoff=cutoff,
            last_day=last_day,
            enrolled=clock.local_date(p.enrolled_at, zone) if p.enrolled_at else None,
        )
    return people


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class Scrubber:
    """Replaces the names and e-mail addresses of the people EmotiPal knows in free text it exports."""

    def __init__(self, users: list[object]) -> None:
        words: set[str] = set()
        for user in users:
            for attr in ("display_name", "first_name", "last_name"):
                words.update(w for w in str(getattr(user, attr, "") or "").split() if len(w) >= 2)
            email = str(getattr(user, "email", "") or "")
            if email:
                words.add(email.split("@")[0])
        names = sorted(words, key=len, reverse=True)
        self._names = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)", re.IGNORECASE)
            if names
            else None
        )

    def __call__(self, text: str) -> str:
        text = EMAIL.sub("[e-mail]", text)
        return self._names.sub("[name]", text) if self._names else text
