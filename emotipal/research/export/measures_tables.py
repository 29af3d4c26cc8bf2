"""Questionnaire tables: responses with their scores, answers by item, and the PHQ-9 by week that the
compliance-outcome analysis reads (scores.csv)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from emotipal.measures.models import Response
from emotipal.research.export.homework_tables import TEXT_TYPES, Context, Row

PHQ9 = "phq9"


def responses(ctx: Context) -> Iterator[Row]:
    for r in ctx.rec.responses:
        p = ctx.rec.people[r.client_id]
        completed = p.local(r.completed_at) if r.completed_at else None
        done = r.status == Response.Status.COMPLETED
        yield {
            "key": ctx.keys("response", r.pk),
            "client_key": p.key,
            "instrument": r.instrument_version.instrument.key,
            "instrument_version": r.instrument_version.number,
            "language": r.language,
            "status": r.status,
            "due_day": p.day(r.due_date),
            **p.when(completed, "completed"),
            "total": r.total if done else None,
            "band": (r.band or None) if done else None,
            "prorated": r.prorated if done else None,
        }


def _cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def answers(ctx: Context) -> Iterator[Row]:
    """Item answers of completed responses (a partly saved one says only that it was started)."""
    for r in ctx.rec.responses:
        if r.status != Response.Status.COMPLETED:
            continue
        p = ctx.rec.people[r.client_id]
        given = r.answers if isinstance(r.answers, dict) else {}
        for item in r.instrument_version.definition.get("items", []):
            value = given.get(item.get("id"))
            if value is None or value == "" or item.get("type") == "descriptive":
                continue
            free = item.get("type") in TEXT_TYPES
            yield {
                "response_key": ctx.keys("response", r.pk),
                "item": item.get("id"),
                "item_type": item.get("type"),
                "value": ctx.text(p, _cell(value)) if free else _cell(value),
            }


def subscales(ctx: Context) -> Iterator[Row]:
    for r in ctx.rec.responses:
        if r.status != Response.Status.COMPLETED:
            continue
        for name, value in sorted((r.subscales or {}).items()):
            yield {"response_key": ctx.keys("response", r.pk), "subscale": name, "score": value}


def phq9_by_week(ctx: Context) -> Iterator[Row]:
    """One PHQ-9 total per participant and week: the last completed that week (the analysis wants one)."""
    chosen: dict[tuple[int, int], tuple[Any, Response]] = {}
    for r in ctx.rec.responses:
        if r.status != Response.Status.COMPLETED or r.total is None or r.completed_at is None:
            continue
        if r.instrument_version.instrument.key != PHQ9:
            continue
        p = ctx.rec.people[r.client_id]
        day = p.day(p.local(r.completed_at))
        assert day is not None
        slot = (r.client_id, day // 7)
        if slot not in chosen or chosen[slot][0] <= r.completed_at:
            chosen[slot] = (r.completed_at, r)
    for (client_id, week), (completed_at, r) in sorted(chosen.items(), key=lambda kv: kv[0]):
        p = ctx.rec.people[client_id]
        yield {
            "client_key": p.key,
            "week": week,
            "phq9": r.total,
            "day": p.day(p.local(completed_at)),
            "response_key": ctx.keys("response", r.pk),
        }
