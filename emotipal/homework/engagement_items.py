"""The engagement questions, in EmotiPal's own wording, for the client's self-review and the therapist's review.

Each dimension is one the homework literature names (how much, how well, difficulty, obstacles, understanding of
and agreement with the reason, specificity of the plan, collaboration, pleasure, mastery, progress, expected
benefit). All are anchored 0-4. The wording is ours; it does not reproduce any published scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from emotipal.definitions import codes

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class EngagementItem:
    key: str
    client: StrOrPromise  # wording is translated lazily, in the language of the request that shows it
    therapist: StrOrPromise
    anchors: tuple[StrOrPromise, ...]  # labels for 0..4


AMOUNT = (_("None of it"), _("A little"), _("About half"), _("Most of it"), _("All of it"))
EXTENT = (_("Not at all"), _("A little"), _("Somewhat"), _("Mostly"), _("Completely"))
HARD = (_("Very easy"), _("Fairly easy"), _("In between"), _("Fairly hard"), _("Very hard"))
OBSTACLES = (_("None"), _("A few small ones"), _("Some"), _("Many"), _("They stopped me completely"))

ITEMS: tuple[EngagementItem, ...] = (
    EngagementItem(
        "quantity",
        _("How much of the planned practice did you do?"),
        _("How much of the planned practice did the client do?"),
        AMOUNT,
    ),
    EngagementItem(
        "quality",
        _("How well did the practice go, the way it was meant to be done?"),
        _("How well did the client carry out the practice as intended?"),
        (_("Not well at all"), _("A little"), _("Fairly well"), _("Well"), _("Very well")),
    ),
    EngagementItem(
        "difficulty", _("How hard was it to do?"), _("How hard did the practice seem for the client?"), HARD
    ),
    EngagementItem(
        "obstacles",
        _("How much got in the way?"),
        _("How much got in the way of the client's practice?"),
        OBSTACLES,
    ),
    EngagementItem(
        "understanding",
        _("How clear is it to you why this practice could help?"),
        _("How well does the client understand why this practice could help?"),
        EXTENT,
    ),
    EngagementItem(
        "agreement",
        _("How much do you agree with that reason?"),
        _("How much does the client agree with the reason for it?"),
        EXTENT,
    ),
    EngagementItem(
        "specificity",
        _("How clear was the plan (what, when, where, how long)?"),
        _("How specific was the plan agreed with the client?"),
        EXTENT,
    ),
    EngagementItem(
        "collaboration",
        _("How much did you help shape this homework?"),
        _("How much was the homework designed together with the client?"),
        EXTENT,
    ),
    EngagementItem(
        "pleasure",
        _("How much did you enjoy any part of it?"),
        _("How much enjoyment did the client seem to get from it?"),
        EXTENT,
    ),
    EngagementItem(
        "mastery",
        _("How much did you feel you were getting better at it?"),
        _("How much sense of mastery did the client seem to gain?"),
        EXTENT,
    ),
    EngagementItem(
        "progress",
        _("How much did it move you toward your goals?"),
        _("How much did it move the client toward their goals?"),
        EXTENT,
    ),
    EngagementItem(
        "expected_benefit",
        _("How much do you expect more practice like this to help?"),
        _("How much benefit does the client expect from continuing?"),
        EXTENT,
    ),
)
KEYS = tuple(item.key for item in ITEMS)
assert KEYS == codes.REVIEW_DIMENSIONS, "every engagement dimension needs client and therapist wording"


def check_ratings(ratings: object, *, required: tuple[str, ...] = ("quantity", "quality")) -> dict[str, str]:
    """Messages per dimension for ratings that are missing (when required), unknown or outside 0-4."""
    if not isinstance(ratings, dict):
        return {"ratings": gettext("Ratings must be given per question.")}
    errors: dict[str, str] = {}
    for key, value in ratings.items():
        if key not in KEYS:
            errors[str(key)] = gettext("This is not one of the questions.")
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4
        ):
            errors[key] = gettext("Choose a rating from 0 to 4.")
    for key in required:
        if ratings.get(key) is None and key not in errors:
            errors[key] = gettext("Please answer this one.")
    return errors
