"""Therapist homework competence as a by-product: which guideline steps each assignment and review shows.

Nothing is asked of the therapist for this: the steps are read from what they entered in the guided assign
flow and the review (emotipal/definitions/competence.py names and explains them). For an assignment set in a
session, the review phase is that session's review of the homework due then (set in the session before); when
nothing was due, or the homework was set outside a session, the review steps do not apply.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from emotipal.definitions.competence import CONFIDENCE_ENOUGH, STEPS, PhaseScore, score
from emotipal.homework.models import Assignment, SelfReview, TherapistReview, TherapySession
from emotipal.homework.reviews import review_session_for


@dataclass(frozen=True)
class GuidedPlan:
    """What the assign flow recorded, as plain values: the same for a real assignment and a training attempt."""

    goal: str = ""
    rationale: str = ""
    practice_time: dt.time | None = None
    practice_place: str = ""
    times_per_week: int | None = None
    minutes_per_practice: int | None = None
    obstacles: str = ""
    backup_plan: str = ""
    confidence: int | None = None
    made_smaller: bool = False
    rehearsed: bool = False
    summary: str = ""

    @classmethod
    def of(cls, assignment: Assignment) -> GuidedPlan:
        return cls(
            goal=assignment.goal,
            rationale=assignment.rationale,
            practice_time=assignment.practice_time,
            practice_place=assignment.practice_place,
            times_per_week=assignment.times_per_week,
            minutes_per_practice=assignment.minutes_per_practice,
            obstacles=assignment.obstacles,
            backup_plan=assignment.backup_plan,
            confidence=assignment.confidence,
            made_smaller=assignment.made_smaller,
            rehearsed=assignment.rehearsed,
            summary=assignment.summary,
        )


@dataclass(frozen=True)
class GuidedReview:
    """What a review recorded, as plain values; made=False for homework that was due and not reviewed."""

    made: bool = True
    had_client_review: bool = False
    client_review_first: bool = False
    learned: str = ""
    change_next: str = ""


def plan_steps(plan: GuidedPlan) -> set[str]:
    """The design and plan steps this plan shows."""
    done: set[str] = set()
    if plan.goal.strip():
        done.add("goal_linked")
    if plan.rationale.strip():
        done.add("rationale_given")
    if (
        plan.practice_time is not None
        and plan.practice_place.strip()
        and plan.times_per_week
        and plan.minutes_per_practice
    ):
        done.add("designed_together")
    if plan.obstacles.strip():
        done.add("obstacles_anticipated")
    if plan.backup_plan.strip():
        done.add("backup_plan")
    if plan.confidence is not None:
        done.add("confidence_checked")
        if plan.confidence >= CONFIDENCE_ENOUGH or plan.made_smaller:
            done.add("sized_to_confidence")
    if plan.rehearsed:
        done.add("rehearsed")
    if plan.summary.strip():
        done.add("summary_written")
    return done


def review_steps(reviews: Iterable[GuidedReview]) -> tuple[set[str], set[str]]:
    """The review steps shown by a session's reviews of the homework due in it: (done, not applicable).

    One entry per homework due (made=False where it was not reviewed). Nothing due: every review step is not
    applicable. The client's view first applies only where the client made a review of their own.
    """
    items = list(reviews)
    if not items:
        return set(), {"review_done", "client_view_first", "learning_noted", "change_noted"}
    done: set[str] = set()
    not_applicable: set[str] = set()
    made = [r for r in items if r.made]
    if len(made) == len(items):
        done.add("review_done")
    with_client_view = [r for r in items if r.had_client_review]
    if not with_client_view:
        not_applicable.add("client_view_first")
    elif all(r.made and r.client_review_first for r in with_client_view):
        done.add("client_view_first")
    if any(r.learned.strip() for r in made):
        done.add("learning_noted")
    if any(r.change_next.strip() for r in made):
        done.add("change_noted")
    return done, not_applicable


@dataclass
class CompetenceRecord:
    """One assignment's steps: the plan it was set with, and its session's review of the homework before.

    A session in which homework was reviewed and nothing new was set has a record of its own, with no
    assignment and only the review phase applicable.
    """

    assignment_id: int | None
    client_id: int
    therapist_id: int
    day: dt.date  # the session's date, or the start date when set outside a session
    done: set[str] = field(default_factory=set)
    not_applicable: set[str] = field(default_factory=set)

    @property
    def scores(self) -> dict[str, PhaseScore]:
        return score(self.done, self.not_applicable)


def records_for_clients(client_ids: Iterable[int]) -> list[CompetenceRecord]:
    """Every assignment's competence record for these clients (and each review-only session's), in four
    queries whatever their number."""
    ids = list(client_ids)
    sessions_by_client: dict[int, list[TherapySession]] = defaultdict(list)
    for session in TherapySession.objects.filter(client_id__in=ids).order_by("client_id", "number"):
        sessions_by_client[session.client_id].append(session)
    assignments = list(Assignment.objects.filter(client_id__in=ids).order_by("client_id", "start_date", "pk"))
    reviews = {
        (r.assignment_id, r.session_id): r
        for r in TherapistReview.objects.filter(assignment__client_id__in=ids)
    }
    self_reviewed = set(
        SelfReview.objects.filter(assignment__client_id__in=ids).values_list("assignment_id", "session_id")
    )
    due_in: dict[int, list[int]] = defaultdict(list)  # session id -> homework due for review in it
    for assignment in assignments:
        target = review_session_for(assignment, sessions_by_client[assignment.client_id])
        if target is not None:
            due_in[target.pk].append(assignment.pk)
    session_by_id = {s.pk: s for sessions in sessions_by_client.values() for s in sessions}
    records = []
    set_in = {a.session_id for a in assignments if a.session_id is not None}
    for session_id, due in due_in.items():
        # A session where homework was reviewed but nothing new was set still shows the review phase.
        if session_id in set_in:
            continue
        session = session_by_id[session_id]
        review_done, not_applicable = review_steps(
            _guided_review(reviews.get((a_id, session_id)), (a_id, session_id) in self_reviewed)
            for a_id in due
        )
        records.append(
            CompetenceRecord(
                assignment_id=None,
                client_id=session.client_id,
                therapist_id=session.therapist_id,
                day=session.date,
                done=review_done,
                not_applicable=not_applicable | {s.key for s in STEPS if s.phase != "review"},
            )
        )
    for assignment in assignments:
        done = plan_steps(GuidedPlan.of(assignment))
        setting = session_by_id.get(assignment.session_id) if assignment.session_id else None
        due = due_in.get(setting.pk, []) if setting is not None else []
        session_reviews = [
            _guided_review(reviews.get((a_id, setting.pk)), (a_id, setting.pk) in self_reviewed)
            for a_id in due
            if setting is not None
        ]
        review_done, not_applicable = review_steps(session_reviews)
        records.append(
            CompetenceRecord(
                assignment_id=assignment.pk,
                client_id=assignment.client_id,
                therapist_id=assignment.assigned_by_id,
                day=setting.date if setting is not None else assignment.start_date,
                done=done | review_done,
                not_applicable=not_applicable,
            )
        )
    return records


def _guided_review(review: TherapistReview | None, had_client_review: bool) -> GuidedReview:
    if review is None:
        return GuidedReview(made=False, had_client_review=had_client_review)
    return GuidedReview(
        had_client_review=had_client_review,
        client_review_first=review.client_review_first,
        learned=review.learned,
        change_next=review.change_next,
    )
