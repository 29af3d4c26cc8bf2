"""The homework tables: plan, attempts (with their answers by field path), sessions, reviews, barriers,
exposure practice and ladder steps. Rows only; the codebook (codebook.py) names and types the columns."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from emotipal.homework.models import Assignment, Entry
from emotipal.platform import clock
from emotipal.research.export.frames import Keys
from emotipal.research.export.people import Person
from emotipal.research.export.records import Records

Row = dict[str, Any]
TEXT_TYPES = frozenset({"short_text", "long_text"})


class Context:
    """What every row builder needs: the records, the key maker, the study's therapist key and the scrubber."""

    def __init__(
        self, rec: Records, keys: Keys, therapist: Callable[[int], str], scrub: Callable[[str], str]
    ):
        self.rec, self.keys, self.therapist, self.scrub = rec, keys, therapist, scrub

    def text(self, person: Person, value: str | None) -> str | None:
        """Free text only where the participant and the study allow it; names and e-mails taken out."""
        if not person.free_text or not value:
            return None
        return self.scrub(str(value))


def _last_counted(a: Assignment, p: Person) -> int | None:
    last = min(a.end_date, p.last_day)
    if a.ended_at is not None:
        last = min(last, clock.local_date(a.ended_at, p.zone))
    return p.day(last)


def assignments(ctx: Context) -> Iterator[Row]:
    k = ctx.keys
    for a in ctx.rec.assignments:
        p = ctx.rec.people[a.client_id]
        opened = (
            round((a.first_opened_at - a.created_at).total_seconds() / 3600, 2)
            if a.first_opened_at and a.first_opened_at >= a.created_at and p.keeps(a.first_opened_at)
            else None
        )
        start, end = p.day(a.start_date), _last_counted(a, p)
        yield {
            "key": k("assignment", a.pk),
            "client_key": p.key,
            "therapist_key": ctx.therapist(a.assigned_by_id),
            "session_key": k("session", a.session_id),
            "exercise": a.template_version.template.slug,
            "exercise_kind": a.template_version.template.kind,
            "template_version": a.template_version.number,
            "variant_key": a.variant_key,
            "times_per_week": a.times_per_week,
            "minutes_per_practice": a.minutes_per_practice,
            "practice_weekdays": json.dumps(a.weekdays),
            **p.when(a.start_date, "start"),
            "planned_end_day": p.day(a.end_date),
            # An assignment ended on its first day still counts that day; never before its start.
            "end_day": max(start, end) if start is not None and end is not None else end,
            "first_open_delay_hours": opened,
        }


def _entry_base(ctx: Context, e: Entry) -> tuple[Person, Row]:
    p = ctx.rec.person_of_assignment(e.assignment_id)
    return p, {
        "assignment_key": ctx.keys("assignment", e.assignment_id),
        "client_key": p.key,
        **p.when(e.practice_date),
        "submitted": e.status == Entry.Status.SUBMITTED,
    }


def entries(ctx: Context) -> Iterator[Row]:
    for e in ctx.rec.entries:
        p, row = _entry_base(ctx, e)
        yield {
            "key": ctx.keys("entry", e.pk),
            **row,
            "active_seconds": e.active_seconds,
            "draft_saves": e.draft_saves,
            "edits_after_submit": e.edits_after_submit,
            "effort": e.effort,
            "difficulty": e.difficulty,
            "helpfulness": e.helpfulness,
            "variant_key": e.variant_key,
            "language": e.language,
            "ladder_step_key": ctx.keys("step", e.ladder_step_id),
            "reviewed": bool(getattr(e, "was_reviewed", False)),
            "started_at_shifted": p.shifted_at(e.started_at),
            "submitted_at_shifted": p.shifted_at(e.submitted_at),
        }


def _flatten(
    specs: list[dict[str, Any]], answers: Any, prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    if not isinstance(answers, dict):
        return
    for spec in specs:
        fid, value = spec.get("id"), answers.get(spec.get("id"))
        if value is None or value == "" or value == []:
            continue
        path = f"{prefix}{fid}"
        if spec.get("type") == "group":
            for i, item in enumerate(value if isinstance(value, list) else []):
                yield from _flatten(spec.get("fields") or [], item, f"{path}.{i}.")
        else:
            yield path, spec, value


def _cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def entry_answers(ctx: Context) -> Iterator[Row]:
    by_id = {a.pk: a for a in ctx.rec.assignments}
    for e in ctx.rec.entries:
        p = ctx.rec.person_of_assignment(e.assignment_id)
        specs = by_id[e.assignment_id].template_version.field_list
        for path, spec, value in _flatten(specs, e.answers or {}):
            free = spec.get("type") in TEXT_TYPES
            yield {
                "entry_key": ctx.keys("entry", e.pk),
                "field_path": path,
                "field_id": spec.get("id"),
                "field_type": spec.get("type"),
                "free_text": free,
                "value": ctx.text(p, _cell(value)) if free else _cell(value),
            }


def sessions(ctx: Context) -> Iterator[Row]:
    for s in ctx.rec.sessions:
        p = ctx.rec.people[s.client_id]
        yield {
            "key": ctx.keys("session", s.pk),
            "client_key": p.key,
            "therapist_key": ctx.therapist(s.therapist_id),
            "number": s.number,
            **p.when(s.date),
        }


def _rating_cells(ratings: Any, dimensions: tuple[str, ...]) -> Row:
    ratings = ratings if isinstance(ratings, dict) else {}
    return {d: ratings.get(d) for d in dimensions}


def self_reviews(ctx: Context, dimensions: tuple[str, ...]) -> Iterator[Row]:
    for r in ctx.rec.self_reviews:
        p = ctx.rec.person_of_assignment(r.assignment_id)
        yield {
            "key": ctx.keys("self_review", r.pk),
            "client_key": p.key,
            "assignment_key": ctx.keys("assignment", r.assignment_id),
            "session_key": ctx.keys("session", r.session_id),
            **p.when(p.local(r.created_at)),
            **_rating_cells(r.ratings, dimensions),
            "helpfulness": r.helpfulness,
            "what_i_did": ctx.text(p, r.what_i_did),
            "what_i_learned": ctx.text(p, r.what_i_learned),
            "what_got_in_way": ctx.text(p, r.what_got_in_way),
        }


def therapist_reviews(ctx: Context, dimensions: tuple[str, ...]) -> Iterator[Row]:
    for r in ctx.rec.therapist_reviews:
        p = ctx.rec.person_of_assignment(r.assignment_id)
        yield {
            "key": ctx.keys("therapist_review", r.pk),
            "client_key": p.key,
            "assignment_key": ctx.keys("assignment", r.assignment_id),
            "session_key": ctx.keys("session", r.session_id),
            "therapist_key": ctx.therapist(r.reviewer_id),
            **p.when(p.local(r.reviewed_at)),
            **_rating_cells(r.ratings, dimensions),
        }


def retro_ratings(ctx: Context) -> Iterator[Row]:
    for r in ctx.rec.retro_ratings:
        p = ctx.rec.people[r.client_id]
        yield {
            "client_key": p.key,
            "rater": r.rater_role,
            "rater_key": p.key if r.rater_role == "client" else ctx.therapist(r.rater_id),
            **p.when(p.local(r.created_at)),
            "quantity": r.quantity,
            "quality": r.quality,
        }


def barriers(ctx: Context) -> Iterator[Row]:
    for b in ctx.rec.barriers:
        p = ctx.rec.people[b.client_id]
        resolved = p.local(b.resolved_at) if b.resolved_at and p.keeps(b.resolved_at) else None
        yield {
            "key": ctx.keys("barrier", b.pk),
            "client_key": p.key,
            "assignment_key": ctx.keys("assignment", b.assignment_id),
            **p.when(b.day),
            "barrier": b.barrier,
            "strategy": b.strategy or None,
            "detail": ctx.text(p, b.detail),
            "resolved_day": p.day(resolved),
        }


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def exposure_practices(ctx: Context) -> Iterator[Row]:
    kinds = {a.pk: a.template_version.template.kind for a in ctx.rec.assignments}
    for e in ctx.rec.entries:
        if kinds.get(e.assignment_id) != "exposure":
            continue
        _, row = _entry_base(ctx, e)
        answers = e.answers if isinstance(e.answers, dict) else {}
        yield {
            "entry_key": ctx.keys("entry", e.pk),
            **row,
            "ladder_step_key": ctx.keys("step", e.ladder_step_id),
            **{f: _number(answers.get(f)) for f in ("suds_before", "suds_peak", "suds_after")},
            "planned_minutes": _number(answers.get("planned_minutes")),
            "actual_minutes": _number(answers.get("actual_minutes")),
        }


def ladder_steps(ctx: Context) -> Iterator[Row]:
    ladders = {ladder.pk: ladder for ladder in ctx.rec.ladders}
    kept = {s.pk for s in ctx.rec.steps}
    for s in ctx.rec.steps:
        ladder = ladders[s.ladder_id]
        p = ctx.rec.people[ladder.client_id]
        yield {
            "key": ctx.keys("step", s.pk),
            "ladder_key": ctx.keys("ladder", s.ladder_id),
            "client_key": p.key,
            "parent_key": ctx.keys("step", s.parent_id) if s.parent_id in kept else None,
            "position": s.position,
            "expected_distress": s.expected_distress,
            "status": s.status,
            "created_day": p.day(p.local(s.created_at)),
            "ladder_title": ctx.text(p, ladder.title),
            "description": ctx.text(p, s.description),
        }
