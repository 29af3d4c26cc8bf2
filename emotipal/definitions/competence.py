"""The guideline steps of setting and reviewing homework, and the observer form's anchored ratings.

Research on therapist homework competence rates three phases: reviewing the last homework, designing the
next one together, and planning it concretely (the planning behaviours predict engagement). The steps below
are EmotiPal's own checklist of those phases, in our own wording; they are not a copy of any published scale.

Everything here is pure (codes, wording keys and arithmetic): the platform decides which steps were done from
what the therapist entered (emotipal/homework/competence.py), the training mode scores a trainee's attempt with
the same function, and the analysis reads the exported step flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from emotipal.definitions.i18n import gettext_noop

PHASES = ("review", "design", "plan")


@dataclass(frozen=True)
class Step:
    key: str
    phase: str
    label: str  # short, for checklists and charts
    explanation: str  # what counts as done, and why it matters (the feedback a trainee reads when missed)


STEPS: tuple[Step, ...] = (
    # Review: look back at the homework that was set last time, before setting anything new.
    Step(
        "review_done",
        "review",
        gettext_noop("Last homework reviewed"),
        gettext_noop("The homework set last time was reviewed in this session before anything new was set."),
    ),
    Step(
        "client_view_first",
        "review",
        gettext_noop("Client's own review heard first"),
        gettext_noop(
            "When the client made a review of their own, it was looked at before the therapist's ratings."
        ),
    ),
    Step(
        "learning_noted",
        "review",
        gettext_noop("What was learned written down"),
        gettext_noop("What the client learned from doing (or not doing) the homework was recorded."),
    ),
    Step(
        "change_noted",
        "review",
        gettext_noop("What to change agreed"),
        gettext_noop("What to keep or change for the next homework was recorded."),
    ),
    # Design: what the task is and why, decided together.
    Step(
        "goal_linked",
        "design",
        gettext_noop("Linked to a goal"),
        gettext_noop("The task was tied to one of the client's goals or to the shared formulation."),
    ),
    Step(
        "rationale_given",
        "design",
        gettext_noop("Reason in the client's words"),
        gettext_noop("The reason for the task was written the way the client would say it."),
    ),
    Step(
        "designed_together",
        "design",
        gettext_noop("What, when, where, how often, how long"),
        gettext_noop(
            "All five were agreed: the exercise, the time of day, the place, how often and for how long."
        ),
    ),
    # Plan: make it likely to happen.
    Step(
        "obstacles_anticipated",
        "plan",
        gettext_noop("Obstacles anticipated"),
        gettext_noop("What might get in the way was talked about before the client left."),
    ),
    Step(
        "backup_plan",
        "plan",
        gettext_noop("Backup plan"),
        gettext_noop("A plan B was agreed for when the first plan does not work out."),
    ),
    Step(
        "confidence_checked",
        "plan",
        gettext_noop("Confidence asked"),
        gettext_noop("The client rated how confident they were (0-10) that they would do it."),
    ),
    Step(
        "sized_to_confidence",
        "plan",
        gettext_noop("Sized so it is likely to happen"),
        gettext_noop("Confidence was 7 or more, or the task was made smaller until it was."),
    ),
    Step(
        "rehearsed",
        "plan",
        gettext_noop("Rehearsed in session"),
        gettext_noop("The first step of the task was tried out together in the session."),
    ),
    Step(
        "summary_written",
        "plan",
        gettext_noop("Written summary for the client"),
        gettext_noop("The client went home with a written summary of what was agreed."),
    ),
)

STEP_KEYS = tuple(step.key for step in STEPS)
STEPS_BY_KEY = {step.key: step for step in STEPS}
CONFIDENCE_ENOUGH = 7  # below this the assign flow asks to make the task smaller before saving


def steps_of(phase: str) -> tuple[Step, ...]:
    return tuple(step for step in STEPS if step.phase == phase)


@dataclass(frozen=True)
class PhaseScore:
    phase: str
    done: int
    applicable: int

    @property
    def share(self) -> float | None:
        """Steps done out of the steps that applied; None when none applied (nothing to judge)."""
        return self.done / self.applicable if self.applicable else None


def score(done: Iterable[str], not_applicable: Iterable[str] = ()) -> dict[str, PhaseScore]:
    """Per phase: how many of the applicable steps were done.

    A step can be not applicable (no earlier homework to review, no self-review to hear first): it then
    counts neither for nor against. Unknown keys are a programming error, not data, so they raise.
    """
    done_set, skipped = set(done), set(not_applicable)
    unknown = (done_set | skipped) - set(STEP_KEYS)
    if unknown:
        raise ValueError(f"unknown competence steps: {sorted(unknown)}")
    scores: dict[str, PhaseScore] = {}
    for phase in PHASES:
        keys = [s.key for s in steps_of(phase) if s.key not in skipped]
        scores[phase] = PhaseScore(phase, sum(1 for k in keys if k in done_set), len(keys))
    return scores


def missed(done: Iterable[str], not_applicable: Iterable[str] = ()) -> list[Step]:
    """The applicable steps not done, in guideline order (the feedback list)."""
    done_set, skipped = set(done), set(not_applicable)
    return [s for s in STEPS if s.key not in done_set and s.key not in skipped]


# The observer form: a supervisor rates a therapist's homework practice on the same three phases, 0-4, with
# anchors of our own. The same items are used by both raters when agreement (ICC) is computed.
OBSERVER_SCALE = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class ObserverItem:
    phase: str
    question: str
    anchors: Mapping[int, str]


OBSERVER_ITEMS: tuple[ObserverItem, ...] = (
    ObserverItem(
        "review",
        gettext_noop("How well did the therapist go over the last homework?"),
        {
            0: gettext_noop("Not mentioned at all"),
            1: gettext_noop("Asked only whether it was done"),
            2: gettext_noop("Went over what was done, briefly"),
            3: gettext_noop("Went over what was done and what was learned"),
            4: gettext_noop(
                "Started from the client's own view, drew out the learning and used it for the next step"
            ),
        },
    ),
    ObserverItem(
        "design",
        gettext_noop("How well was the new homework designed with the client?"),
        {
            0: gettext_noop("No new homework, or handed over without explanation"),
            1: gettext_noop("Set by the therapist with a brief reason"),
            2: gettext_noop("Reason given and some details agreed"),
            3: gettext_noop("Linked to a goal, reason and details agreed together"),
            4: gettext_noop(
                "Built together from the client's goal, reason in the client's words, every detail agreed"
            ),
        },
    ),
    ObserverItem(
        "plan",
        gettext_noop("How concretely was the homework planned?"),
        {
            0: gettext_noop("No plan for when or how"),
            1: gettext_noop('A vague intention ("try to do it this week")'),
            2: gettext_noop("When and where agreed"),
            3: gettext_noop("When, where, obstacles and confidence discussed"),
            4: gettext_noop(
                "Obstacles and a backup plan, confidence checked and the task resized, first step rehearsed"
            ),
        },
    ),
)
