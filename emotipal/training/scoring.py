"""Scoring an attempt: the guideline steps it shows (the same functions as real homework) and case hints.

The steps come from emotipal/homework/competence.py (plan_steps, review_steps) on the attempt's answers, so a
trainee is judged exactly as the platform judges a therapist's real assign flow and review. The hints are
about this vignette and are simple on purpose: whether the obstacles or the backup plan mention the client's
most reported barrier is a keyword check (the words are listed in the hint), not an understanding of the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from emotipal.definitions.competence import STEP_KEYS, Step, missed, score
from emotipal.homework.barriers import BARRIERS
from emotipal.homework.competence import GuidedPlan, GuidedReview, plan_steps, review_steps

# Words that show an obstacle or backup plan is about a barrier (lower case, matched as parts of words).
BARRIER_WORDS: dict[str, tuple[str, ...]] = {
    "forgot": ("forget", "forgot", "remind", "alarm", "cue", "note", "phone", "calendar"),
    "no_time": ("time", "busy", "schedule", "diary", "calendar", "minute", "short", "fit"),
    "too_hard": ("hard", "anxi", "fear", "scar", "panic", "smaller", "step", "easier"),
    "no_point": ("point", "why", "reason", "help", "useful", "worth"),
    "unsure_how": ("unsure", "how", "example", "show", "explain", "confus", "instruction"),
    "low_mood": ("mood", "tired", "flat", "energy", "bed", "motivat", "low"),
    "something_happened": ("unexpected", "ill", "sick", "came up", "emergenc", "visit"),
    "other": (),
}


@dataclass(frozen=True)
class Outcome:
    done: list[str]  # in guideline order
    not_applicable: list[str]
    scores: dict[str, dict[str, int]]
    hints: list[str]

    @property
    def missed(self) -> list[Step]:
        return missed(self.done, self.not_applicable)


def guided_plan(answers: Mapping[str, Any]) -> GuidedPlan:
    time = answers.get("practice_time")
    return GuidedPlan(
        goal=answers.get("goal", ""),
        rationale=answers.get("rationale", ""),
        practice_time=dt.time.fromisoformat(time) if time else None,
        practice_place=answers.get("practice_place", ""),
        times_per_week=answers.get("times_per_week"),
        minutes_per_practice=answers.get("minutes_per_practice"),
        obstacles=answers.get("obstacles", ""),
        backup_plan=answers.get("backup_plan", ""),
        confidence=answers.get("confidence"),
        made_smaller=bool(answers.get("made_smaller")),
        rehearsed=bool(answers.get("rehearsed")),
        summary=answers.get("summary", ""),
    )


def guided_review(answers: Mapping[str, Any]) -> GuidedReview:
    # The review was made when the last homework was rated (the two short ratings). Every vignette's last
    # homework has the client's own review, so hearing it first always applies.
    return GuidedReview(
        made=answers.get("quantity") is not None and answers.get("quality") is not None,
        had_client_review=True,
        client_review_first=bool(answers.get("client_review_first")),
        learned=answers.get("learned", ""),
        change_next=answers.get("change_next", ""),
    )


def score_attempt(answers: Mapping[str, Any], vignette: Mapping[str, Any]) -> Outcome:
    review_done, not_applicable = review_steps([guided_review(answers)])
    done = plan_steps(guided_plan(answers)) | review_done
    phases = score(done, not_applicable)
    return Outcome(
        done=[k for k in STEP_KEYS if k in done],
        not_applicable=[k for k in STEP_KEYS if k in not_applicable],
        scores={p: {"done": s.done, "applicable": s.applicable} for p, s in phases.items()},
        hints=hints(answers, vignette),
    )


def hints(answers: Mapping[str, Any], vignette: Mapping[str, Any]) -> list[str]:
    """What this case asked for beyond the steps (shown on the feedback page)."""
    found: list[str] = []
    counts: Mapping[str, int] = vignette.get("barrier_counts") or {}
    barrier = next(iter(counts), None) or vignette.get("main_barrier")
    words = BARRIER_WORDS.get(barrier or "", ())
    planned_for = f"{answers.get('obstacles', '')} {answers.get('backup_plan', '')}".lower()
    if barrier and words and not any(w in planned_for for w in words):
        found.append(
            _(
                "The client's most reported barrier was “%(barrier)s”, but the obstacles and the "
                "backup plan do not seem to mention it (we looked for words such as %(words)s)."
            )
            % {
                "barrier": BARRIERS.get(barrier, barrier),
                "words": ", ".join(f"“{w}”" for w in words[:4]),
            }
        )
    last = vignette.get("last_homework") or {}
    planned, practised = last.get("planned") or 0, last.get("practised") or 0
    times = answers.get("times_per_week")
    if (
        planned
        and practised * 2 < planned
        and times is not None
        and times >= (last.get("times_per_week") or 0)
        and not answers.get("made_smaller")
    ):
        found.append(
            _(
                "The last homework was practised %(practised)s of %(planned)s planned times, and the new plan "
                "asks for as many practices or more. A smaller, surer step is more likely to happen."
            )
            % {"practised": practised, "planned": planned}
        )
    return found
