"""The homework operations of the JSON API (/api/v1): assignments, drafts, entries, the caseload, reviews.

Same service functions and permission checks as the pages; mounted on the root API in emotipal/api.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from emotipal.accounts import access
from emotipal.homework import services
from emotipal.homework.framing import shown_variant_key
from emotipal.homework.models import Assignment, Entry
from emotipal.homework.queries import active_assignments, caseload_rows
from emotipal.library.access import assignable_versions
from emotipal.library.api import TemplateOut, template_out
from emotipal.platform.api import ErrorOut, require

router = Router()


# --- shapes -------------------------------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    template: str
    template_version: int
    title: str
    rationale: str
    instructions: str
    times_per_week: int
    minutes_per_practice: int
    practice_days: list[int]
    start_date: dt.date
    end_date: dt.date
    variant: str
    # What was agreed in the guided flow, and the client's own wording of the reason.
    goal: str
    practice_time: dt.time | None
    practice_place: str
    obstacles: str
    backup_plan: str
    confidence: int | None
    made_smaller: bool
    rehearsed: bool
    summary: str
    client_rationale: str
    rationale_confirmed_at: dt.datetime | None


class RationaleIn(Schema):
    wording: str = Field("", description="the reason in the client's own words; empty confirms it as written")


class TodayAssignmentOut(AssignmentOut):
    due_today: bool
    done_this_week: int


class DraftIn(Schema):
    answers: dict[str, Any]
    active_seconds: int = Field(0, ge=0)


class EntryIn(Schema):
    answers: dict[str, Any]
    effort: int | None = None
    difficulty: int | None = None
    helpfulness: int | None = None
    active_seconds: int = Field(0, ge=0)
    practice_date: dt.date | None = None


class DraftOut(Schema):
    """A draft as the API returns it; id is null while nothing has been typed (no row is stored for it)."""

    id: int | None
    assignment_id: int
    status: str
    answers: dict[str, Any]
    practice_date: dt.date
    started_at: dt.datetime | None
    active_seconds: int


class EntryOut(Schema):
    id: int
    assignment_id: int
    status: str
    answers: dict[str, Any]
    practice_date: dt.date
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    active_seconds: int
    effort: int | None
    difficulty: int | None
    helpfulness: int | None
    reviewed_at: dt.datetime | None = None
    review_note: str | None = None


CLIENTS_PAGE_SIZE = 100
CLIENTS_PAGE_MAX = 500  # one answer stays small whatever the caseload: ask again with `offset` for more


class ClientRowOut(Schema):
    id: int
    name: str
    email: str
    therapist: str
    active_assignments: int
    planned_this_week: int
    done_this_week: int
    unreviewed: int
    last_submitted_at: dt.datetime | None


class AssignmentIn(Schema):
    template: str
    variant: str = Field(
        "auto", description="a variant key of the template, 'base', or 'auto' (client's language)"
    )
    template_version: int | None = None
    rationale: str
    instructions: str = ""
    times_per_week: int
    minutes_per_practice: int
    practice_days: list[int] = []
    start_date: dt.date
    end_date: dt.date
    # The guided flow; the API records the client's confidence when sent (the assign page always asks).
    goal: str = ""
    practice_time: dt.time | None = Field(None, description="when in the day, in the client's time zone")
    practice_place: str = ""
    obstacles: str = ""
    backup_plan: str = ""
    confidence: int | None = Field(None, description="0-10; below 7 the task must be made smaller")
    made_smaller: bool = False
    rehearsed: bool = False
    summary: str = ""


class ReviewIn(Schema):
    note: str = ""  # its length is review_entry's rule, refused there with the page's message


def _assignment_out(a: Assignment) -> dict[str, Any]:
    v = a.template_version
    return {
        "id": a.pk,
        "template": v.template.slug,
        "template_version": v.number,
        "title": v.title,
        "rationale": a.rationale,
        "instructions": a.instructions,
        "times_per_week": a.times_per_week,
        "minutes_per_practice": a.minutes_per_practice,
        "practice_days": a.weekdays,
        "start_date": a.start_date,
        "end_date": a.end_date,
        "variant": a.variant_key,
        "goal": a.goal,
        "practice_time": a.practice_time,
        "practice_place": a.practice_place,
        "obstacles": a.obstacles,
        "backup_plan": a.backup_plan,
        "confidence": a.confidence,
        "made_smaller": a.made_smaller,
        "rehearsed": a.rehearsed,
        "summary": a.summary,
        "client_rationale": a.client_rationale,
        "rationale_confirmed_at": a.rationale_confirmed_at,
    }


def _entry_out(e: Entry, new: bool = False) -> dict[str, Any]:
    review = None if new else getattr(e, "review", None)  # an entry just made has no review yet: no query
    return {
        "id": e.pk,
        "assignment_id": e.assignment_id,
        "status": e.status,
        "answers": e.answers or {},
        "practice_date": e.practice_date,
        "started_at": e.started_at,
        "submitted_at": e.submitted_at,
        "active_seconds": e.active_seconds,
        "effort": e.effort,
        "difficulty": e.difficulty,
        "helpfulness": e.helpfulness,
        "reviewed_at": review.reviewed_at if review else None,
        "review_note": review.note if review else None,
    }


def _draft_out(assignment: Assignment, draft: Entry | None) -> dict[str, Any]:
    if draft is None:
        return {
            "id": None,
            "assignment_id": assignment.pk,
            "status": Entry.Status.DRAFT,
            "answers": {},
            "practice_date": services.local_today(assignment.client),
            "started_at": None,
            "active_seconds": 0,
        }
    return {
        "id": draft.pk,
        "assignment_id": draft.assignment_id,
        "status": draft.status,
        "answers": draft.answers or {},
        "practice_date": draft.practice_date,
        "started_at": draft.started_at,
        "active_seconds": draft.active_seconds,
    }


# --- clients --------------------------------------------------------------------------------------------------


# 404: the caller is not a client (access.own_client_profile), as for the client's pages.
@router.get("/me/assignments", response={200: list[TodayAssignmentOut], 404: ErrorOut}, tags=["client"])
def my_assignments(request: HttpRequest) -> list[dict[str, Any]]:
    client = access.own_client_profile(request.user)
    today = services.local_today(client)
    assignments = list(active_assignments(client, today).select_related("template_version__template"))
    for a in assignments:
        a.client = client  # one profile object: its experiment settings are asked once
    return [
        _assignment_out(a)
        | {
            "due_today": a.is_due_on(today) and a.done_today == 0,  # type: ignore[attr-defined]
            "done_this_week": a.done_this_week,  # type: ignore[attr-defined]
            "variant": shown_variant_key(a),  # the variant to show: the family framing in that arm
        }
        for a in assignments
    ]


@router.post(
    "/assignments/{assignment_id}/rationale",
    response={200: AssignmentOut, 422: ErrorOut},
    tags=["client"],
    summary="Confirm the reason for this homework as written (empty wording) or in the client's own words.",
)
def confirm_rationale(request: HttpRequest, assignment_id: int, payload: RationaleIn) -> dict[str, Any]:
    return _assignment_out(services.confirm_rationale(request.user, assignment_id, payload.wording))


@router.get("/assignments/{assignment_id}/schema", response=TemplateOut, tags=["client"])
def assignment_schema(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    return template_out(services.client_assignment(request.user, assignment_id).template_version)


@router.get("/assignments/{assignment_id}/draft", response=DraftOut, tags=["client"])
def get_draft(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    """The saved draft, or (id null) an empty one that is not stored: opening is not starting."""
    assignment = services.client_assignment(request.user, assignment_id)
    return _draft_out(assignment, assignment.entries.filter(status=Entry.Status.DRAFT).first())


@router.put("/assignments/{assignment_id}/draft", response=DraftOut, tags=["client"])
def put_draft(request: HttpRequest, assignment_id: int, payload: DraftIn) -> dict[str, Any]:
    draft = services.save_draft(request.user, assignment_id, payload.answers, payload.active_seconds)
    # An empty first save stores nothing (services.save_draft): the answer is the unsaved draft, id null.
    return _draft_out(services.client_assignment(request.user, assignment_id), draft)


@router.post(
    "/assignments/{assignment_id}/entries",
    response={200: EntryOut, 201: EntryOut, 422: ErrorOut},
    tags=["client"],
    summary="Submit an entry. Send an Idempotency-Key header: the same key twice makes one entry.",
)
def submit(request: HttpRequest, assignment_id: int, payload: EntryIn) -> Any:
    entry, created = services.submit_entry(
        request.user,
        assignment_id,
        services.Submission(
            answers=payload.answers,
            effort=payload.effort,
            difficulty=payload.difficulty,
            helpfulness=payload.helpfulness,
            active_seconds=payload.active_seconds,
            idempotency_key=request.headers.get("Idempotency-Key"),
            practice_date=payload.practice_date,
        ),
    )
    return Status(201 if created else 200, _entry_out(entry, new=created))


@router.get("/me/entries", response={200: list[EntryOut], 404: ErrorOut}, tags=["client"])
def my_entries(request: HttpRequest) -> list[dict[str, Any]]:
    client = access.own_client_profile(request.user)
    entries = Entry.objects.filter(assignment__client=client, status=Entry.Status.SUBMITTED).select_related(
        "review"
    )
    return [_entry_out(e) for e in entries.order_by("-submitted_at")[:200]]


# --- staff ----------------------------------------------------------------------------------------------------


class ClientsPage(Schema):
    limit: int = Field(CLIENTS_PAGE_SIZE, ge=1, le=CLIENTS_PAGE_MAX, description="Clients in one answer.")
    offset: int = Field(0, ge=0, description="Clients to skip, in order of name.")


@router.get(
    "/clients",
    response=list[ClientRowOut],
    tags=["therapist"],
    description=(
        "The caseload in order of name, one page at a time (`limit`, `offset`); the `X-Total-Count` header "
        "gives the number of clients in all. Each row's week is the client's own."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "headers": {
                    "X-Total-Count": {
                        "description": "Clients in the whole caseload (of all pages).",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    }
                },
            }
        }
    },
)
def clients(request: HttpRequest, response: HttpResponse, page: Query[ClientsPage]) -> list[dict[str, Any]]:
    require(access.is_clinician(request.user))
    everyone = access.caseload(request.user).order_by("user__display_name", "pk")
    ids = list(everyone.values_list("pk", flat=True)[page.offset : page.offset + page.limit])
    response["X-Total-Count"] = str(everyone.count())
    by_id = {r.client.pk: r for r in caseload_rows(everyone.filter(pk__in=ids))}  # only this page's clients
    rows = [by_id[i] for i in ids if i in by_id]
    access.note_reads(request.user, [r.client for r in rows], "api.clients")
    return [
        {
            "id": r.client.pk,
            "name": str(r.client.user),
            "email": r.client.user.email,
            "therapist": str(r.client.therapist),
            "active_assignments": r.active_assignments,
            "planned_this_week": r.planned_this_week,
            "done_this_week": r.done_this_week,
            "unreviewed": r.unreviewed,
            "last_submitted_at": r.last_submitted_at,
        }
        for r in rows
    ]


@router.post(
    "/clients/{client_id}/assignments", response={201: AssignmentOut, 422: ErrorOut}, tags=["therapist"]
)
def create_assignment(request: HttpRequest, client_id: int, payload: AssignmentIn) -> Any:
    require(access.is_clinician(request.user))
    client = access.get_visible_client(request.user, client_id)
    versions = assignable_versions(client.clinic, request.user).filter(template__slug=payload.template)
    if payload.template_version is not None:
        versions = versions.filter(number=payload.template_version)
    version = versions.order_by("-number").first()
    if version is None:
        raise services.HomeworkError(
            _("Unknown exercise."), {"template": _("No exercise with this name and version.")}
        )
    plan = services.AssignmentPlan(
        template_version=version,
        rationale=payload.rationale,
        instructions=payload.instructions,
        times_per_week=payload.times_per_week,
        minutes_per_practice=payload.minutes_per_practice,
        practice_days=payload.practice_days,
        start_date=payload.start_date,
        end_date=payload.end_date,
        variant_key=payload.variant,
        goal=payload.goal,
        practice_time=payload.practice_time,
        practice_place=payload.practice_place,
        obstacles=payload.obstacles,
        backup_plan=payload.backup_plan,
        confidence=payload.confidence,
        made_smaller=payload.made_smaller,
        rehearsed=payload.rehearsed,
        summary=payload.summary,
    )
    return Status(201, _assignment_out(services.assign_homework(request.user, client, plan)))


@router.get("/clients/{client_id}/entries", response=list[EntryOut], tags=["therapist"])
def client_entries(request: HttpRequest, client_id: int) -> list[dict[str, Any]]:
    require(access.is_clinician(request.user))
    client = access.get_visible_client(request.user, client_id)
    return [_entry_out(e) for e in services.entries_for_staff(request.user, client)[:500]]


@router.post("/entries/{entry_id}/review", response=EntryOut, tags=["therapist"])
def review_entry(request: HttpRequest, entry_id: int, payload: ReviewIn) -> dict[str, Any]:
    require(access.is_clinician(request.user))
    review = services.review_entry(request.user, entry_id, payload.note)
    entry = get_object_or_404(Entry.objects.select_related("review"), pk=review.entry_id)
    return _entry_out(entry)
