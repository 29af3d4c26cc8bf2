"""What got in the way of a planned practice, and the strategies that fit each obstacle (our own wording)."""

from __future__ import annotations

from emotipal.analysis import codes

BARRIERS: dict[str, str] = {
    "forgot": "I forgot",
    "no_time": "I didn't have time",
    "too_hard": "It felt too hard or too anxious",
    "no_point": "I didn't see the point",
    "unsure_how": "I wasn't sure how to do it",
    "low_mood": "Low mood or no energy",
    "something_happened": "Something came up",
    "other": "Something else",
}

STRATEGIES: dict[str, tuple[str, str]] = {
    "smaller_step": ("Take a smaller step", "Do a shorter or easier version next time: five minutes counts."),
    "schedule_reminder": (
        "Schedule it with a reminder",
        "Pick a time and place for the next practice, and let EmotiPal remind you.",
    ),
    "ask_support": ("Ask someone to help", "Tell a person you trust what you are practising and when."),
    "plan_reward": ("Plan a reward", "Choose something small and pleasant for after the next practice."),
    "talk_reason": (
        "Talk it through with my therapist",
        "Bring it to the next session: why this practice, and whether to change it.",
    ),
}

# The strategies offered first for each obstacle; the others stay available.
MATCHES = codes.MATCHING_STRATEGIES
# Every code has wording, and only codes have wording (checked when the module loads).
assert tuple(BARRIERS) == codes.BARRIERS and tuple(STRATEGIES) == codes.STRATEGIES


def strategies_for(barrier: str) -> list[tuple[str, str, str, bool]]:
    """(code, title, advice, matched) for every strategy, the matching ones first."""
    matched = MATCHES.get(barrier, ())
    order = [*matched, *(code for code in STRATEGIES if code not in matched)]
    return [(code, *STRATEGIES[code], code in matched) for code in order]
