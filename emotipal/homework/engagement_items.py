"""The engagement questions, in EmotiPal's own wording, for the client's self-review and the therapist's review.

Each dimension is one the homework literature names (how much, how well, difficulty, obstacles, understanding of
and agreement with the reason, specificity of the plan, collaboration, pleasure, mastery, progress, expected
benefit). All are anchored 0-4. The wording is ours; it does not reproduce any published scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from emotipal.analysis import codes


@dataclass(frozen=True)
class EngagementItem:
    key: str
    client: str
    therapist: str
    anchors: tuple[str, str, str, str, str]  # labels for 0..4


AMOUNT = ("None of it", "A little", "About half", "Most of it", "All of it")
EXTENT = ("Not at all", "A little", "Somewhat", "Mostly", "Completely")
HARD = ("Very easy", "Fairly easy", "In between", "Fairly hard", "Very hard")
OBSTACLES = ("None", "A few small ones", "Some", "Many", "They stopped me completely")

ITEMS: tuple[EngagementItem, ...] = (
    EngagementItem(
        "quantity",
        "How much of the planned practice did you do?",
        "How much of the planned practice did the client do?",
        AMOUNT,
    ),
    EngagementItem(
        "quality",
        "How well did the practice go, the way it was meant to be done?",
        "How well did the client carry out the practice as intended?",
        ("Not well at all", "A little", "Fairly well", "Well", "Very well"),
    ),
    EngagementItem(
        "difficulty", "How hard was it to do?", "How hard did the practice seem for the client?", HARD
    ),
    EngagementItem(
        "obstacles",
        "How much got in the way?",
        "How much got in the way of the client's practice?",
        OBSTACLES,
    ),
    EngagementItem(
        "understanding",
        "How clear is it to you why this practice could help?",
        "How well does the client understand why this practice could help?",
        EXTENT,
    ),
    EngagementItem(
        "agreement",
        "How much do you agree with that reason?",
        "How much does the client agree with the reason for it?",
        EXTENT,
    ),
    EngagementItem(
        "specificity",
        "How clear was the plan (what, when, where, how long)?",
        "How specific was the plan agreed with the client?",
        EXTENT,
    ),
    EngagementItem(
        "collaboration",
        "How much did you help shape this homework?",
        "How much was the homework designed together with the client?",
        EXTENT,
    ),
    EngagementItem(
        "pleasure",
        "How much did you enjoy any part of it?",
        "How much enjoyment did the client seem to get from it?",
        EXTENT,
    ),
    EngagementItem(
        "mastery",
        "How much did you feel you were getting better at it?",
        "How much sense of mastery did the client seem to gain?",
        EXTENT,
    ),
    EngagementItem(
        "progress",
        "How much did it move you toward your goals?",
        "How much did it move the client toward their goals?",
        EXTENT,
    ),
    EngagementItem(
        "expected_benefit",
        "How much do you expect more practice like this to help?",
        "How much benefit does the client expect from continuing?",
        EXTENT,
    ),
)
KEYS = tuple(item.key for item in ITEMS)
assert KEYS == codes.REVIEW_DIMENSIONS, "every engagement dimension needs client and therapist wording"


def check_ratings(ratings: object, *, required: tuple[str, ...] = ("quantity", "quality")) -> dict[str, str]:
    """Messages per dimension for ratings that are missing (when required), unknown or outside 0-4."""
    if not isinstance(ratings, dict):
        return {"ratings": "Ratings must be given per question."}
    errors: dict[str, str] = {}
    for key, value in ratings.items():
        if key not in KEYS:
            errors[str(key)] = "This is not one of the questions."
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4
        ):
            errors[key] = "Choose a rating from 0 to 4."
    for key in required:
        if ratings.get(key) is None and key not in errors:
            errors[key] = "Please answer this one."
    return errors
