"""Reading and showing the 0-4 engagement questions on pages (client and therapist wording)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emotipal.homework.engagement_items import ITEMS, required_for
from emotipal.platform.input_rules import parse_index

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RATING_PREFIX = "r."


def parse_rating(raw: str | None) -> int | None:
    """'' -> None; a number -> int; anything else -> -1, which the service reports as out of range."""
    if raw in (None, ""):
        return None
    value = parse_index(raw, maximum=1000)  # ASCII digits only; "٣" or "1e3" is not a rating
    return -1 if value is None else value


def parse_ratings(data: Any) -> dict[str, int | None]:
    return {item.key: parse_rating(data.get(RATING_PREFIX + item.key)) for item in ITEMS}


@dataclass
class RatingQuestion:
    name: str
    question: StrOrPromise
    options: list[tuple[int, StrOrPromise]]
    chosen: int | None
    error: str | None
    required: bool = False


def rating_questions(
    role: str, chosen: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[RatingQuestion]:
    """Every question in the wording and anchors of `role`; the required ones (see engagement_items) marked."""
    chosen, errors = chosen or {}, errors or {}
    required = required_for(role)
    return [
        RatingQuestion(
            name=RATING_PREFIX + item.key,
            question=item.client if role == "client" else item.therapist,
            options=list(enumerate(item.anchors_for(role))),
            chosen=chosen.get(item.key)
            if isinstance(chosen.get(item.key), int) and chosen.get(item.key) != -1
            else None,
            error=errors.get(item.key),
            required=item.key in required,
        )
        for item in ITEMS
    ]


@dataclass
class RatingForm:
    """The questions split for the page: the required few first, the rest under "More ratings"."""

    required: list[RatingQuestion]
    more: list[RatingQuestion]

    @property
    def more_open(self) -> bool:
        """Open "More ratings" when one of them was answered or has an error, so nothing is hidden."""
        return any(q.chosen is not None or q.error for q in self.more)


def rating_form(
    role: str, chosen: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> RatingForm:
    questions = rating_questions(role, chosen, errors)
    return RatingForm([q for q in questions if q.required], [q for q in questions if not q.required])


def rating_rows(
    ratings: dict[str, Any], role: str, *, answered_only: bool = False
) -> list[tuple[StrOrPromise, str]]:
    """(question, "3 · Mostly") for a stored review, in the questions' order, in the words of `role`.

    `answered_only` leaves out the questions that were skipped (the required ones are always listed).
    """
    rows = []
    required = required_for(role)
    for item in ITEMS:
        value = ratings.get(item.key)
        value = value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4 else None
        if answered_only and value is None and item.key not in required:
            continue
        shown = "—" if value is None else f"{value} · {item.anchors_for(role)[value]}"
        rows.append((item.client if role == "client" else item.therapist, shown))
    return rows
