"""API operations that change one homework: edit its plan, pause, resume, stop (same actions as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from emotipal.accounts import access
from emotipal.homework import plan_changes
from emotipal.homework.models import Assignment
from emotipal.platform.api import ErrorOut, require

router = Router()


class PlanChangeIn(Schema):
    rationale: str
    instructions: str = ""
    times_per_week: int
    minutes_per_practice: int
    practice_days: list[int] = []
    end_date: dt.date


class AssignmentStateOut(Schema):
    id: int
    rationale: str
    instructions: str
    times_per_week: int
    minutes_per_practice: int
    practice_days: list[int]
    start_date: dt.date
    end_date: dt.date
    paused_at: dt.datetime | None
    ended_at: dt.datetime | None


def _out(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "rationale": a.rationale,
        "instructions": a.instructions,
        "times_per_week": a.times_per_week,
        "minutes_per_practice": a.minutes_per_practice,
        "practice_days": a.weekdays,
        "start_date": a.start_date,
        "end_date": a.end_date,
        "paused_at": a.paused_at,
        "ended_at": a.ended_at,
    }


@router.patch(
    "/assignments/{assignment_id}/plan",
    response={200: AssignmentStateOut, 422: ErrorOut},
    tags=["therapist"],
    summary="Change a homework's plan (the same rules as setting it).",
)
def edit_plan(request: HttpRequest, assignment_id: int, payload: PlanChangeIn) -> dict[str, Any]:
    require(access.is_clinician(request.user))
    change = plan_changes.PlanChange(**payload.dict())
    return _out(plan_changes.edit_plan(request.user, assignment_id, change))


@router.post(
    "/assignments/{assignment_id}/pause",
    response={200: AssignmentStateOut, 422: ErrorOut},
    tags=["therapist"],
)
def pause(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    require(access.is_clinician(request.user))
    return _out(plan_changes.pause(request.user, assignment_id))


@router.post(
    "/assignments/{assignment_id}/resume",
    response={200: AssignmentStateOut, 422: ErrorOut},
    tags=["therapist"],
)
def resume(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    require(access.is_clinician(request.user))
    return _out(plan_changes.resume(request.user, assignment_id))


@router.post(
    "/assignments/{assignment_id}/stop", response={200: AssignmentStateOut, 422: ErrorOut}, tags=["therapist"]
)
def stop(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    require(access.is_clinician(request.user))
    return _out(plan_changes.stop(request.user, assignment_id))
