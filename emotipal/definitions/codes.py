"""Codes shared by the platform and the pure analysis code (the simulator, exports): one definition of each.

The platform adds wording to these codes (emotipal/homework/barriers.py, engagement_items.py); the codes
themselves live here because the pure analysis package may not import the platform.
"""

from __future__ import annotations

# The engagement dimensions rated 0-4 in self-reviews and therapist reviews.
REVIEW_DIMENSIONS = (
    "quantity", "quality", "difficulty", "obstacles", "understanding", "agreement", "specificity",
    "collaboration", "pleasure", "mastery", "progress", "expected_benefit",
)  # fmt: skip

# What got in the way of a planned practice.
BARRIERS = (
    "forgot", "no_time", "too_hard", "no_point", "unsure_how", "low_mood", "something_happened", "other",
)  # fmt: skip

# What the client can try next.
STRATEGIES = ("smaller_step", "schedule_reminder", "ask_support", "plan_reward", "talk_reason")

# The strategies that fit each barrier, the most fitting first.
MATCHING_STRATEGIES: dict[str, tuple[str, ...]] = {
    "forgot": ("schedule_reminder", "ask_support"),
    "no_time": ("smaller_step", "schedule_reminder"),
    "too_hard": ("smaller_step", "talk_reason", "ask_support"),
    "no_point": ("talk_reason",),
    "unsure_how": ("talk_reason", "smaller_step"),
    "low_mood": ("smaller_step", "plan_reward", "ask_support"),
    "something_happened": ("schedule_reminder", "smaller_step"),
    "other": ("talk_reason", "smaller_step"),
}
