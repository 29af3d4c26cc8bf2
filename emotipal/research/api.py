"""Research in the JSON API: the caller's studies, a study's pseudonymous participants, its exports and their
download. For researcher API tokens (or the session); a study not on the caller's team is 404, whether or not
it exists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from emotipal.accounts.api import refuse_stale_session
from emotipal.platform.api import ErrorOut, require
from emotipal.research import access, downloads, queries
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.api_experiments import router as experiments_router
from emotipal.research.models import StudyExport

router = Router(tags=["research"])
router.add_router("", experiments_router)  # experiments: research/api_experiments.py


class StudyOut(Schema):
    slug: str
    title: str
    status: str
    role: str
    protocol_version: str
    target_sample_size: int
    participants: int
    ethics_valid_until: dt.date | None
    recruitment_problem: str | None


class EventOut(Schema):
    state: str
    on: dt.date


class ParticipantOut(Schema):
    id: str
    state: str
    events: list[EventOut]


class ParticipantsOut(Schema):
    study: str
    total: int
    now: dict[str, int]
    reached: dict[str, int]
    participants: list[ParticipantOut]


class ExportOut(Schema):
    id: int
    status: str
    progress: int
    message: str
    requested_at: dt.datetime
    finished_at: dt.datetime | None
    download: str | None


@router.get("/research/studies", response=list[StudyOut])
def studies(request: HttpRequest) -> list[dict[str, Any]]:
    require(access.is_researcher(request.user))
    return [
        {
            "slug": r.study.slug,
            "title": r.study.title,
            "status": r.study.status,
            "role": r.role,
            "protocol_version": r.study.protocol_version,
            "target_sample_size": r.study.target_sample_size,
            "participants": r.participants,
            "ethics_valid_until": r.study.ethics_valid_until,
            "recruitment_problem": recruitment_problem(r.study),
        }
        for r in queries.study_rows(request.user)
    ]


@router.get("/research/studies/{slug}/participants", response=ParticipantsOut)
def participants(request: HttpRequest, slug: str) -> dict[str, Any]:
    study = access.get_study(request.user, slug)
    rows, flow = queries.participant_rows(study)
    access.note_participant_reads(request.user, study, [r.client for r in rows])
    return {
        "study": study.slug,
        "total": flow.total,
        "now": flow.now,
        "reached": flow.ever,
        "participants": [
            {
                "id": r.pseudonym,
                "state": r.state,
                "events": [{"state": e.state, "on": e.on} for e in r.events],
            }
            for r in rows
        ],
    }


def _export_out(export: StudyExport) -> dict[str, Any]:
    ready = downloads.not_ready_reason(export) is None
    return {
        "id": export.pk,
        "status": export.status,
        "progress": export.progress,
        "message": export.message,
        "requested_at": export.requested_at,
        "finished_at": export.finished_at,
        "download": reverse("api:export_download", args=[export.study.slug, export.pk]) if ready else None,
    }


@router.get("/research/studies/{slug}/exports", response=list[ExportOut])
def exports(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    study = access.get_study(request.user, slug)
    if not access.can_download(request.user, study):
        raise HttpError(404, "Not Found")
    return [_export_out(e) for e in study.exports.select_related("study")]


@router.get(
    "/research/studies/{slug}/exports/{export_id}/download",
    response={409: ErrorOut},
    url_name="export_download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The export's folder as a zip file",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download(request: HttpRequest, slug: str, export_id: int) -> Any:
    study = access.get_study(request.user, slug)
    export = access.get_export(request.user, study, export_id)
    refuse_stale_session(request)  # as the page asks before a download (a token is not asked)
    try:
        archive, filename = downloads.export_archive(export)
    except downloads.ExportNotReady as exc:
        return Status(409, {"detail": str(exc)})
    access.note_export_download(request.user, export)
    return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
