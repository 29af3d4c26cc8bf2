"""The JSON API (/api/v1). Same service functions and permission checks as the pages.

Authentication: a personal access token (`Authorization: Bearer ep_...`) or the browser session (with CSRF).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from emotipal.accounts import access
from emotipal.accounts import services as account_services
from emotipal.accounts.mfa_policy import MFA_REQUIRED_MESSAGE, MFARequired, must_set_up_mfa
from emotipal.accounts.models import ApiToken, User
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.homework.queries import active_assignments, caseload_rows
from emotipal.library.models import TemplateVersion
from emotipal.library.services import assignable_versions, latest_versions


def _refuse_without_required_mfa(user: Any) -> None:
    """The pages' MFA gate, for the API: 403 with a JSON message instead of a redirect.

    Applied to tokens too, so a token made before the clinic required MFA does not get around it.
    """
    if must_set_up_mfa(user):
        raise HttpError(403, str(MFA_REQUIRED_MESSAGE))


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = account_services.user_for_token(token)
        if user is not None:
            _refuse_without_required_mfa(user)
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            _refuse_without_required_mfa(user)
        return user


api = NinjaAPI(
    title="EmotiPal API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
)


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] = {}


def _mount_review_router() -> None:
    from emotipal.homework.api_review import router

    api.add_router("", router)


@api.exception_handler(services.HomeworkError)
def homework_error(request: HttpRequest, exc: services.HomeworkError) -> Any:
    return api.create_response(request, {"detail": exc.message, "errors": exc.errors}, status=422)


@api.exception_handler(MFARequired)
def mfa_required(request: HttpRequest, exc: MFARequired) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=403)


# --- shapes -------------------------------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    roles: list[str]
    is_client: bool


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


class TodayAssignmentOut(AssignmentOut):
    due_today: bool
    done_this_week: int


class TemplateOut(Schema):
    slug: str
    version: int
    kind: str
    title: str
    summary: str
    rationale: str
    instructions: str
    estimated_minutes: int
    fields: list[dict[str, Any]]


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


class ReviewIn(Schema):
    note: str = ""  # its length is review_entry's rule, refused there with the page's message


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    days_valid: int | None = Field(None, ge=1, le=365)


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str


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
    }


def _entry_out(e: Entry) -> dict[str, Any]:
    review = getattr(e, "review", None)
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


def _template_out(v: TemplateVersion) -> dict[str, Any]:
    return {
        "slug": v.template.slug,
        "version": v.number,
        "kind": v.template.kind,
        "title": v.title,
        "summary": v.summary,
        "rationale": v.rationale,
        "instructions": v.instructions,
        "estimated_minutes": v.estimated_minutes,
        "fields": v.field_list,
    }


def _require(check: bool) -> None:
    if not check:
        raise HttpError(403, "Your role does not allow this.")


# --- everyone -------------------------------------------------------------------------------------------------


@api.get("/me", response=MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "id": user.pk,
        "email": user.email,  # type: ignore[union-attr]
        "display_name": getattr(user, "display_name", ""),
        "roles": sorted(access.roles_of(user)),
        "is_client": access.is_client(user),
    }


@api.get("/tokens", response=list[TokenOut], tags=["account"])
def list_tokens(request: HttpRequest) -> Any:
    assert isinstance(request.user, User)
    return ApiToken.objects.filter(user=request.user).order_by("-created_at")


@api.post("/tokens", response={201: NewTokenOut}, tags=["account"])
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    assert isinstance(request.user, User)
    new = account_services.create_api_token(request.user, payload.name, days_valid=payload.days_valid)
    data = TokenOut.from_orm(new.token).model_dump()
    return Status(201, {**data, "token": new.secret})


@api.delete("/tokens/{token_id}", response={204: None}, tags=["account"])
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    assert isinstance(request.user, User)
    if not account_services.revoke_api_token(request.user, token_id):
        raise HttpError(404, "Not Found")
    return Status(204, None)


# --- clients --------------------------------------------------------------------------------------------------


@api.get("/me/assignments", response=list[TodayAssignmentOut], tags=["client"])
def my_assignments(request: HttpRequest) -> list[dict[str, Any]]:
    client = access.own_client_profile(request.user)
    today = services.local_today(client)
    return [
        _assignment_out(a)
        | {"due_today": a.is_due_on(today) and a.done_today == 0, "done_this_week": a.done_this_week}  # type: ignore[attr-defined]
        for a in active_assignments(client, today).select_related("template_version__template")
    ]


@api.get("/assignments/{assignment_id}/schema", response=TemplateOut, tags=["client"])
def assignment_schema(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    return _template_out(services.client_assignment(request.user, assignment_id).template_version)


@api.get("/assignments/{assignment_id}/draft", response=EntryOut, tags=["client"])
def get_draft(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    return _entry_out(services.open_draft(services.client_assignment(request.user, assignment_id)))


@api.put("/assignments/{assignment_id}/draft", response=EntryOut, tags=["client"])
def put_draft(request: HttpRequest, assignment_id: int, payload: DraftIn) -> dict[str, Any]:
    return _entry_out(
        services.save_draft(request.user, assignment_id, payload.answers, payload.active_seconds)
    )


@api.post(
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
    return Status(201 if created else 200, _entry_out(entry))


@api.get("/me/entries", response=list[EntryOut], tags=["client"])
def my_entries(request: HttpRequest) -> list[dict[str, Any]]:
    client = access.own_client_profile(request.user)
    entries = Entry.objects.filter(assignment__client=client, status=Entry.Status.SUBMITTED).select_related(
        "review"
    )
    return [_entry_out(e) for e in entries.order_by("-submitted_at")[:200]]


# --- staff ----------------------------------------------------------------------------------------------------


@api.get("/templates", response=list[TemplateOut], tags=["library"])
def templates(request: HttpRequest) -> list[dict[str, Any]]:
    _require(access.is_staff_member(request.user))
    return [_template_out(v) for v in latest_versions(access.staff_clinic(request.user), request.user)]


@api.get("/clients", response=list[ClientRowOut], tags=["therapist"])
def clients(request: HttpRequest) -> list[dict[str, Any]]:
    _require(access.is_clinician(request.user))
    rows = caseload_rows(access.caseload(request.user))  # each client's own today
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


@api.post(
    "/clients/{client_id}/assignments", response={201: AssignmentOut, 422: ErrorOut}, tags=["therapist"]
)
def create_assignment(request: HttpRequest, client_id: int, payload: AssignmentIn) -> Any:
    _require(access.is_clinician(request.user))
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
    )
    return Status(201, _assignment_out(services.assign_homework(request.user, client, plan)))


@api.get("/clients/{client_id}/entries", response=list[EntryOut], tags=["therapist"])
def client_entries(request: HttpRequest, client_id: int) -> list[dict[str, Any]]:
    _require(access.is_clinician(request.user))
    client = access.get_visible_client(request.user, client_id)
    return [_entry_out(e) for e in services.entries_for_staff(request.user, client)[:500]]


@api.post("/entries/{entry_id}/review", response=EntryOut, tags=["therapist"])
def review_entry(request: HttpRequest, entry_id: int, payload: ReviewIn) -> dict[str, Any]:
    _require(access.is_clinician(request.user))
    review = services.review_entry(request.user, entry_id, payload.note)
    entry = get_object_or_404(Entry.objects.select_related("review"), pk=review.entry_id)
    return _entry_out(entry)


_mount_review_router()
