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
    anchors: tuple[StrOrPromise, ...]  # labels for 0..4, as the client answers them (first person)
    # Labels for 0..4 as the therapist answers them (what they observed); None: the client's labels fit both.
    therapist_anchors: tuple[StrOrPromise, ...] | None = None

    def anchors_for(self, role: str) -> tuple[StrOrPromise, ...]:
        """The 0..4 labels in the words of the one answering: "client" or "therapist"."""
        if role == "therapist" and self.therapist_anchors is not None:
            return self.therapist_anchors
        return self.anchors


AMOUNT = (_("None of it"), _("A little"), _("About half"), _("Most of it"), _("All of it"))
EXTENT = (_("Not at all"), _("A little"), _("Somewhat"), _("Mostly"), _("Completely"))
HARD = (_("Very easy"), _("Fairly easy"), _("In between"), _("Fairly hard"), _("Very hard"))
OBSTACLES = (_("None"), _("A few small ones"), _("Some"), _("Many"), _("They stopped me completely"))

ITEMS: tuple[EngagementItem, ...] = (
    EngagementItem(
        "quantity",
        _("How much of the planned practice did you do?"),
        _("How much of the planned practice did the client do?"),
        (
            _("I did none of it"),
            _("A little of it"),
            _("About half"),
            _("Most of it"),
            _("All of it, or more"),
        ),
        (
            _("Not done at all"),
            _("A small part done"),
            _("About half done"),
            _("Most of it done"),
            _("Done as planned or more"),
        ),
    ),
    EngagementItem(
        "quality",
        _("How well did the practice go, the way it was meant to be done?"),
        _("How well did the client carry out the practice as intended?"),
        (_("Not well at all"), _("A little"), _("Fairly well"), _("Well"), _("Very well")),
        (
            _("Not as intended at all"),
            _("A little as intended"),
            _("Partly as intended"),
            _("Mostly as intended"),
            _("Fully as intended"),
        ),
    ),
    EngagementItem(
        "difficulty", _("How hard was it to do?"), _("How hard did the practice seem for the client?"), HARD
    ),
    EngagementItem(
        "obstacles",
        _("How much got in the way?"),
        _("How much got in the way of the client's practice?"),
        OBSTACLES,
        (_("None"), _("A few small ones"), _("Some"), _("Many"), _("They stopped the practice completely")),
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
        (
            _("No sign of it"),
            _("A slight sign"),
            _("Some"),
            _("Clearly"),
            _("Very clearly, in their own words"),
        ),
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
assert all(len(i.anchors) == 5 and len(i.anchors_for("therapist")) == 5 for i in ITEMS), "anchors are 0..4"


# Which ratings must be given, decided from what the analysis reads (the rest stay optional under "More
# ratings", are stored and exported as before, and are an empty cell when not given):
# * quantity and quality, from client and therapist: the engagement figures and the engagement index
#   (emotipal/analysis/engagement.py: the Rating records carry only these two; client_quantity,
#   therapist_quantity, combined_quantity and quality_all_ratings, the "quality" part of the index) and the
#   compliance analysis of an export (analysis/compliance/dataset.py reads self_reviews.quantity and
#   therapist_reviews.quantity).
# * mastery, from the therapist only: the mediator of the time-ordered mediation analysis (engagement ->
#   therapist-rated mastery -> later improvement, analysis/compliance/mediation_design.py, and the power
#   simulation in analysis/trials/power.py). A therapist review without it drops out of that analysis. The
#   client's own mastery rating feeds nothing, so the client is not made to give it.
# No other dimension feeds a figure, an index or an analysis; they describe the homework for the people in
# the session and for exploratory research, where a skipped rating is honest missing data.
CLIENT_REQUIRED: tuple[str, ...] = ("quantity", "quality")
THERAPIST_REQUIRED: tuple[str, ...] = ("quantity", "quality", "mastery")


def required_for(role: str) -> tuple[str, ...]:
    return THERAPIST_REQUIRED if role == "therapist" else CLIENT_REQUIRED


def check_ratings(ratings: object, *, required: tuple[str, ...] = CLIENT_REQUIRED) -> dict[str, str]:
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
