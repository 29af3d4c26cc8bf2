"""Loading the records of an export's participants: a fixed number of queries for any number of them, then
only what was collected before each participant's cutoff (withdrawal) and by their last day counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    EntryReview,
    FearLadder,
    LadderStep,
    RetroactiveRating,
    SelfReview,
    TherapistReview,
    TherapySession,
)
from emotipal.measures.models import Response
from emotipal.research.export.people import Person


@dataclass
class Records:
    people: dict[int, Person]  # by client id
    assignments: list[Assignment] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    sessions: list[TherapySession] = field(default_factory=list)
    self_reviews: list[SelfReview] = field(default_factory=list)
    therapist_reviews: list[TherapistReview] = field(default_factory=list)
    retro_ratings: list[RetroactiveRating] = field(default_factory=list)
    barriers: list[Barrier] = field(default_factory=list)
    ladders: list[FearLadder] = field(default_factory=list)
    steps: list[LadderStep] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    # Assignment id -> client id, for the assignments kept.
    owner: dict[int, int] = field(default_factory=dict)

    def person_of_assignment(self, assignment_id: int) -> Person:
        return self.people[self.owner[assignment_id]]


def load(people: dict[int, Person], *, homework: bool, questionnaires: bool, exposure: bool) -> Records:
    rec = Records(people)
    ids = list(people)
    if homework or exposure:
        for a in Assignment.objects.filter(client_id__in=ids).select_related("template_version__template"):
            p = people[a.client_id]
            if p.keeps(a.created_at) and p.keeps_day(a.start_date):
                rec.assignments.append(a)
                rec.owner[a.pk] = a.client_id
                p.note_date(a.start_date)
        reviewed = EntryReview.objects.filter(entry_id=OuterRef("pk"))
        entries = Entry.objects.filter(assignment_id__in=rec.owner).annotate(was_reviewed=Exists(reviewed))
        for e in entries.order_by("practice_date", "started_at", "pk"):
            p = rec.person_of_assignment(e.assignment_id)
            if p.keeps(e.started_at, e.last_saved_at, e.submitted_at, e.last_edited_at) and p.keeps_day(
                e.practice_date
            ):
                rec.entries.append(e)
                p.note_date(e.practice_date)
    if homework:
        for s in TherapySession.objects.filter(client_id__in=ids).order_by("client_id", "number"):
            p = people[s.client_id]
            if p.keeps(s.created_at) and p.keeps_day(s.date):
                rec.sessions.append(s)
                p.note_date(s.date)
        session_ids = {s.pk for s in rec.sessions}
        for r in SelfReview.objects.filter(assignment_id__in=rec.owner, session_id__in=session_ids):
            if rec.person_of_assignment(r.assignment_id).keeps(r.created_at):
                rec.self_reviews.append(r)
        for t in TherapistReview.objects.filter(assignment_id__in=rec.owner, session_id__in=session_ids):
            if rec.person_of_assignment(t.assignment_id).keeps(t.reviewed_at):
                rec.therapist_reviews.append(t)
        rec.retro_ratings = [
            r
            for r in RetroactiveRating.objects.filter(client_id__in=ids)
            if people[r.client_id].keeps(r.created_at)
        ]
        rec.barriers = [
            b
            for b in Barrier.objects.filter(assignment_id__in=rec.owner).order_by("day", "pk")
            if people[b.client_id].keeps(b.created_at) and people[b.client_id].keeps_day(b.day)
        ]
    if exposure:
        for ladder in FearLadder.objects.filter(client_id__in=ids):
            p = people[ladder.client_id]
            if p.keeps(ladder.created_at):
                rec.ladders.append(ladder)
                p.note_date(p.local(ladder.created_at))
        by_ladder = {ladder.pk: ladder for ladder in rec.ladders}
        for step in LadderStep.objects.filter(ladder_id__in=by_ladder):
            p = people[by_ladder[step.ladder_id].client_id]
            if p.keeps(step.created_at):
                rec.steps.append(step)
                p.note_date(p.local(step.created_at))
    if questionnaires:
        responses = Response.objects.filter(client_id__in=ids).select_related(
            "instrument_version__instrument"
        )
        for response in responses.order_by("due_date", "pk"):
            p = people[response.client_id]
            if p.keeps(response.started_at, response.completed_at) and p.keeps_day(response.due_date):
                rec.responses.append(response)
                p.note_date(response.due_date)
                if response.completed_at is not None:
                    p.note_date(p.local(response.completed_at))
    for p in people.values():
        p.settle_day0()
    return rec
