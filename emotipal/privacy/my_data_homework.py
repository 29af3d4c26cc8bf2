"""The homework part of a client's data download: every assignment with every entry (drafts too, with their
answers decrypted), the therapist's replies to entries, the reviews in sessions (my_data_reviews.py), obstacles,
rewards and homework reminders.

A fixed number of queries whatever the number of assignments and entries: each kind of row is read once for
the whole client and grouped in Python."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from emotipal.accounts.models import ClientProfile
from emotipal.homework.answers import answer_rows
from emotipal.homework.barriers import BARRIERS, STRATEGIES
from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    ReminderEvent,
    Reward,
    SelfReview,
    TherapistReview,
)
from emotipal.library import variants
from emotipal.privacy import my_data_reviews
from emotipal.privacy.my_data_common import person_name


@dataclass(frozen=True)
class EntryReviewRow:
    reviewer: str
    note: str
    reviewed_at: dt.datetime


@dataclass(frozen=True)
class EntryRow:
    id: int
    status: str  # "draft" or "submitted"
    status_label: str
    practice_date: dt.date
    started_at: dt.datetime
    last_saved_at: dt.datetime
    submitted_at: dt.datetime | None
    last_edited_at: dt.datetime | None
    edits_after_submit: int
    draft_saves: int
    active_seconds: int
    effort: int | None
    difficulty: int | None
    helpfulness: int | None
    language: str
    ladder_step: str  # the exposure step practised, if any
    answers: dict[str, Any]  # exactly as stored (a draft: as typed)
    readable: list[dict[str, Any]]  # the answers under their questions, as the client reads them now
    review: EntryReviewRow | None


@dataclass(frozen=True)
class BarrierRow:
    day: dt.date
    barrier: str  # the code
    barrier_label: str
    detail: str
    strategy: str
    strategy_label: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass(frozen=True)
class RewardRow:
    week_start: dt.date
    description: str
    created_at: dt.datetime
    earned_at: dt.datetime | None


@dataclass(frozen=True)
class ReminderEventRow:
    sent_at: dt.datetime
    opened_at: dt.datetime | None


@dataclass
class AssignmentRow:
    id: int
    title: str
    exercise: str  # the library's name for it (slug) and version
    assigned_by: str
    set_in_session: int | None
    created_at: dt.datetime
    start_date: dt.date
    end_date: dt.date
    plan: str
    practice_days: str
    practice_time: dt.time | None
    practice_place: str
    rationale: str
    client_rationale: str
    rationale_confirmed_at: dt.datetime | None
    instructions: str
    goal: str
    obstacles: str
    backup_plan: str
    summary: str
    confidence: int | None
    made_smaller: bool
    rehearsed: bool
    first_opened_at: dt.datetime | None
    paused_at: dt.datetime | None
    ended_at: dt.datetime | None
    entries: list[EntryRow] = field(default_factory=list)
    self_reviews: list[my_data_reviews.SelfReviewRow] = field(default_factory=list)
    therapist_reviews: list[my_data_reviews.TherapistReviewRow] = field(default_factory=list)
    barriers: list[BarrierRow] = field(default_factory=list)
    rewards: list[RewardRow] = field(default_factory=list)
    reminders: list[ReminderEventRow] = field(default_factory=list)


def _readable(entry: Entry, assignment: Assignment, language: str) -> list[dict[str, Any]]:
    """As the client's entry page shows it (homework/views/client.py), plus anything stored under an id the
    exercise does not ask (an old draft, say), so nothing typed is left out."""
    version = assignment.template_version
    key = variants.follow_language(version.variants, entry.variant_key, language)
    fields = variants.apply_to_fields(version.field_list, variants.find(version.variants, key))
    answers = entry.answers if isinstance(entry.answers, dict) else {}
    rows = answer_rows(fields, answers)
    asked = {spec["id"] for spec in fields}
    rows += [{"label": k, "value": str(v), "group": None} for k, v in answers.items() if k not in asked]
    return rows


def _entry(entry: Entry, assignment: Assignment, language: str) -> EntryRow:
    review = getattr(entry, "review", None)
    return EntryRow(
        id=entry.pk,
        status=entry.status,
        status_label=str(entry.get_status_display()),
        practice_date=entry.practice_date,
        started_at=entry.started_at,
        last_saved_at=entry.last_saved_at,
        submitted_at=entry.submitted_at,
        last_edited_at=entry.last_edited_at,
        edits_after_submit=entry.edits_after_submit,
        draft_saves=entry.draft_saves,
        active_seconds=entry.active_seconds,
        effort=entry.effort,
        difficulty=entry.difficulty,
        helpfulness=entry.helpfulness,
        language=entry.language,
        ladder_step=entry.ladder_step.description if entry.ladder_step else "",
        answers=entry.answers if isinstance(entry.answers, dict) else {"value": entry.answers},
        readable=_readable(entry, assignment, language),
        review=EntryReviewRow(person_name(review.reviewer), review.note, review.reviewed_at)
        if review
        else None,
    )


def _assignment(a: Assignment) -> AssignmentRow:
    return AssignmentRow(
        id=a.pk,
        title=a.display_title,
        exercise=f"{a.template_version.template.slug} v{a.template_version.number}",
        assigned_by=person_name(a.assigned_by),
        set_in_session=a.session.number if a.session else None,
        created_at=a.created_at,
        start_date=a.start_date,
        end_date=a.end_date,
        plan=a.plan_label,
        practice_days=a.weekday_labels,
        practice_time=a.practice_time,
        practice_place=a.practice_place,
        rationale=a.rationale,
        client_rationale=a.client_rationale,
        rationale_confirmed_at=a.rationale_confirmed_at,
        instructions=a.instructions,
        goal=a.goal,
        obstacles=a.obstacles,
        backup_plan=a.backup_plan,
        summary=a.summary,
        confidence=a.confidence,
        made_smaller=a.made_smaller,
        rehearsed=a.rehearsed,
        first_opened_at=a.first_opened_at,
        paused_at=a.paused_at,
        ended_at=a.ended_at,
    )


def _barrier(b: Barrier) -> BarrierRow:
    strategy = STRATEGIES.get(b.strategy)
    return BarrierRow(
        day=b.day,
        barrier=b.barrier,
        barrier_label=str(BARRIERS.get(b.barrier, b.barrier)),
        detail=b.detail,
        strategy=b.strategy,
        strategy_label=str(strategy[0]) if strategy else b.strategy,
        created_at=b.created_at,
        resolved_at=b.resolved_at,
    )


def assignments(profile: ClientProfile) -> list[AssignmentRow]:
    """Every assignment, newest first, each with everything recorded under it."""
    found = list(
        Assignment.objects.filter(client=profile)
        .select_related("template_version__template", "assigned_by", "session")
        .order_by("-start_date", "-pk")
    )
    language = profile.user.language
    by_id: dict[int, AssignmentRow] = {}
    sources: dict[int, Assignment] = {}
    for a in found:
        a.client = (
            profile  # one profile for all: the client's settings are read once (Assignment.shown_variant_key)
        )
        by_id[a.pk], sources[a.pk] = _assignment(a), a
    of_client = {"assignment__client": profile}
    for entry in (
        Entry.objects.filter(**of_client)
        .select_related("ladder_step", "review__reviewer")
        .order_by("-practice_date", "-pk")
    ):
        by_id[entry.assignment_id].entries.append(_entry(entry, sources[entry.assignment_id], language))
    for s in SelfReview.objects.filter(**of_client).select_related("session").order_by("session__number"):
        by_id[s.assignment_id].self_reviews.append(my_data_reviews.self_review(s))
    for t in (
        TherapistReview.objects.filter(**of_client)
        .select_related("session", "reviewer")
        .defer("note")  # the therapist's own note is not part of the download, so not even decrypted
        .order_by("session__number")
    ):
        by_id[t.assignment_id].therapist_reviews.append(my_data_reviews.therapist_review(t))
    for b in Barrier.objects.filter(client=profile).order_by("-day", "-pk"):
        by_id[b.assignment_id].barriers.append(_barrier(b))
    for r in Reward.objects.filter(**of_client).order_by("-week_start"):
        by_id[r.assignment_id].rewards.append(
            RewardRow(r.week_start, r.description, r.created_at, r.earned_at)
        )
    for e in ReminderEvent.objects.filter(**of_client).order_by("-sent_at"):
        by_id[e.assignment_id].reminders.append(ReminderEventRow(e.sent_at, e.opened_at))
    return list(by_id.values())
