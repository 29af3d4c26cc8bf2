"""Reading and showing the 0-4 engagement questions on pages (client and therapist wording)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emotipal.homework.engagement_items import ITEMS
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


def rating_questions(
    role: str, chosen: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[RatingQuestion]:
    chosen, errors = chosen or {}, errors or {}
    return [
        RatingQuestion(
            name=RATING_PREFIX + item.key,
            question=item.client if role == "client" else item.therapist,
            options=list(enumerate(item.anchors)),
            chosen=chosen.get(item.key)
            if isinstance(chosen.get(item.key), int) and chosen.get(item.key) != -1
            else None,
            error=errors.get(item.key),
        )
        for item in ITEMS
    ]


def rating_rows(ratings: dict[str, Any], role: str) -> list[tuple[StrOrPromise, str]]:
    """(question, "3 · Mostly") for a stored review, in the questions' order."""
    rows = []
    for item in ITEMS:
        value = ratings.get(item.key)
        shown = f"{value} · {item.anchors[value]}" if isinstance(value, int) and 0 <= value <= 4 else "—"
        rows.append((item.client if role == "client" else item.therapist, shown))
    return rows
