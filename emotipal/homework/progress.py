"""Progress feedback after an entry: the progress_feedback experiment feature on the page after sending.

What the client sees: their practice this week (their own week, in their time zone) against what was planned,
for this exercise and for all their homework, and, for an exercise rated before and after the practice, how the
ratings moved: scales named `<something>_before` and `<something>_after` (distress, tension, mood, belief), and
the rows of a group `<g>` rated again in a group `<g>_after` (the thought record's feelings), matched by what the
row names (the feeling), not by position.
The figures are stated as they are, without judging them: a rating going up is good for mood and not for
distress, and the client knows which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from emotipal.homework.models import Entry
from emotipal.homework.queries import active_assignments, week_start
from emotipal.library import variants
from emotipal.platform import clock, features

BEFORE, AFTER = "_before", "_after"


@dataclass(frozen=True)
class RatingChange:
    before_label: str
    after_label: str
    before: float
    after: float
    subject: str = ""  # for a rated row of a group: what it names ("Anxious")

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Progress:
    week_of: dt.date  # the Monday of the client's week
    exercise_done: int  # this exercise's practices this week
    exercise_planned: int
    all_done: int  # every active homework's practices this week
    all_planned: int
    ratings: tuple[RatingChange, ...]

    @property
    def week_complete(self) -> bool:
        return self.all_planned > 0 and self.all_done >= self.all_planned


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def rating_changes(fields: list[dict[str, Any]], answers: dict[str, Any]) -> list[RatingChange]:
    """Each before/after pair of rating scales (top-level fields) the client answered both of, in form order."""
    scales = {spec["id"]: spec for spec in fields if spec.get("type") == "scale"}
    changes = []
    for field_id, spec in scales.items():
        if not field_id.endswith(BEFORE):
            continue
        after = scales.get(field_id[: -len(BEFORE)] + AFTER)
        if after is None:
            continue
        first, last = _number(answers.get(field_id)), _number(answers.get(after["id"]))
        if first is None or last is None:
            continue
        changes.append(RatingChange(str(spec["label"]), str(after["label"]), first, last))
    groups = {spec["id"]: spec for spec in fields if spec.get("type") == "group"}
    for group_id, group in groups.items():
        again = groups.get(group_id + AFTER)
        if again is not None:
            changes.extend(_group_changes(group, again, answers))
    return changes


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _group_changes(
    group: dict[str, Any], again: dict[str, Any], answers: dict[str, Any]
) -> list[RatingChange]:
    """Rows of `group` rated again in `again`, matched by their first short text (the feeling's name)."""
    names = [f["id"] for f in group["fields"] if f.get("type") == "short_text"]
    if not names or names[0] not in {f["id"] for f in again["fields"]}:
        return []
    name = names[0]
    before_scales = {f["id"]: f for f in group["fields"] if f.get("type") == "scale"}
    after_scales = {f["id"]: f for f in again["fields"] if f.get("type") == "scale"}
    first_rows = _rows(answers.get(group["id"]))
    later_rows = _rows(answers.get(again["id"]))
    later: dict[str, dict[str, Any]] = {}
    for row in later_rows:
        if str(row.get(name) or "").strip():
            later.setdefault(str(row[name]).strip().casefold(), row)
    changes = []
    for row in first_rows:
        subject = str(row.get(name) or "").strip()
        match = later.get(subject.casefold()) if subject else None
        if match is None:
            continue
        for scale_id, spec in before_scales.items():
            if scale_id not in after_scales:
                continue
            first, last = _number(row.get(scale_id)), _number(match.get(scale_id))
            if first is not None and last is not None:
                label = str(after_scales[scale_id]["label"])
                changes.append(RatingChange(str(spec["label"]), label, first, last, subject))
    return changes


def for_entry(entry: Entry) -> Progress | None:
    """Progress after this submitted entry, or None when the client's arm shows none (everyone outside one)."""
    assignment = entry.assignment
    client = assignment.client
    if not features.value(client, "progress_feedback")["enabled"]:
        return None
    today = clock.client_today(client)
    active = list(active_assignments(client, today))
    this = next((a for a in active if a.pk == assignment.pk), None)
    if this is not None:
        exercise_done = this.done_this_week  # type: ignore[attr-defined]
    else:  # the homework has ended since: count its week directly
        exercise_done = assignment.entries.filter(
            status=Entry.Status.SUBMITTED, practice_date__gte=week_start(today), practice_date__lte=today
        ).count()
    version = assignment.template_version
    fields = variants.apply_to_fields(version.field_list, variants.find(version.variants, entry.variant_key))
    return Progress(
        week_of=week_start(today),
        exercise_done=exercise_done,
        exercise_planned=assignment.times_per_week,
        all_done=sum(a.done_this_week for a in active),  # type: ignore[attr-defined]
        all_planned=sum(a.times_per_week for a in active),
        ratings=tuple(rating_changes(fields, entry.answers or {})),
    )
