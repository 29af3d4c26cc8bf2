"""What got in the way of a planned practice, and the strategies that fit each obstacle (our own wording)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from emotipal.definitions import codes

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BARRIERS: dict[str, StrOrPromise] = {
    "forgot": _("I forgot"),
    "no_time": _("I didn't have time"),
    "too_hard": _("It felt too hard or too anxious"),
    "no_point": _("I didn't see the point"),
    "unsure_how": _("I wasn't sure how to do it"),
    "low_mood": _("Low mood or no energy"),
    "something_happened": _("Something came up"),
    "other": _("Something else"),
}

STRATEGIES: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "smaller_step": (
        _("Take a smaller step"),
        _("Do a shorter or easier version next time: five minutes counts."),
    ),
    "schedule_reminder": (
        _("Schedule it with a reminder"),
        _("Pick a time and place for the next practice, and let EmotiPal remind you."),
    ),
    "ask_support": (_("Ask someone to help"), _("Tell a person you trust what you are practising and when.")),
    "plan_reward": (
        _("Plan a reward"),
        _("Choose something small and pleasant for after the next practice."),
    ),
    "talk_reason": (
        _("Talk it through with my therapist"),
        _("Bring it to the next session: why this practice, and whether to change it."),
    ),
}

# The strategies offered first for each obstacle; the others stay available.
MATCHES = codes.MATCHING_STRATEGIES
# Every code has wording, and only codes have wording (checked when the module loads).
assert tuple(BARRIERS) == codes.BARRIERS and tuple(STRATEGIES) == codes.STRATEGIES


def strategies_for(barrier: str) -> list[tuple[str, StrOrPromise, StrOrPromise, bool]]:
    """(code, title, advice, matched) for every strategy, the matching ones first."""
    matched = MATCHES.get(barrier, ())
    order = [*matched, *(code for code in STRATEGIES if code not in matched)]
    return [(code, *STRATEGIES[code], code in matched) for code in order]
