"""A study's exports: request one, watch its progress, download it as a zip (the study's team only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from emotipal.accounts.reauth import require_recent_login
from emotipal.research import access
from emotipal.research.actions import exports as actions
from emotipal.research.errors import ResearchError
from emotipal.research.export.archive import folder_of, zipped
from emotipal.research.models import JobStatus

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@login_required
def exports(request: HttpRequest, slug: str) -> HttpResponse:
    study = access.get_study(request.user, slug)
    return render(
        request,
        "research/export_list.html",
        {
            "study": study,
            "exports": list(access.exports_of(request.user, study)[:50]),
            "can_request": access.can_manage(request.user, study),
            "active": ACTIVE,
        },
    )


@login_required
@require_POST
def request_export(request: HttpRequest, slug: str) -> HttpResponse:
    study = access.get_study(request.user, slug)
    try:
        actions.request_export(request.user, study)
    except ResearchError as exc:
        messages.error(request, exc.message)
    return redirect("research_exports", slug=study.slug)


@login_required
def export_status(request: HttpRequest, slug: str, export_id: int) -> HttpResponse:
    """The row of one export; htmx polls it every 2 seconds while the export is queued or running."""
    study = access.get_study(request.user, slug)
    export = access.get_export(request.user, study, export_id)
    return render(request, "research/export_row.html", {"study": study, "export": export, "active": ACTIVE})


@login_required
def download(request: HttpRequest, slug: str, export_id: int) -> FileResponse:
    study = access.get_study(request.user, slug)
    if not access.can_download(request.user, study):
        raise Http404("No such export")
    export = access.get_export(request.user, study, export_id)
    folder = folder_of(export.folder) if export.status == JobStatus.DONE else None
    if folder is None:
        raise Http404("No such export")
    require_recent_login(
        request
    )  # data leaves the clinic: a password typed in the last minutes, not a cookie
    actions.note_download(request.user, export)
    return FileResponse(zipped(folder), as_attachment=True, filename=f"{folder.name}.zip")
