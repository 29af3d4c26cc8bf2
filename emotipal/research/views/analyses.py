"""The study's analyses: the list (with the finished exports to analyse), one analysis with its report, and the
report itself.

The report is HTML our code writes (emotipal.analysis.compliance.html_report escapes every data-derived string),
but it holds values from the export, so it is served as its own document under a Content-Security-Policy
that runs nothing and loads nothing (sandbox, default-src 'none'; only its inline styles and data: images), and
the analysis page shows it in a sandboxed frame of the same origin.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from emotipal.platform.audit.services import record
from emotipal.research import access
from emotipal.research.actions.analyses import request_analysis
from emotipal.research.errors import ResearchError
from emotipal.research.models import JobStatus, StudyExport

REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'; sandbox"
)


@login_required
@require_GET
def analyses(request: HttpRequest, slug: str) -> HttpResponse:
    study = access.get_study(request.user, slug)
    exports = StudyExport.objects.filter(study=study, status=JobStatus.DONE).order_by("-requested_at")
    return render(
        request,
        "research/analysis_list.html",
        {"study": study, "analyses": access.analyses_of(request.user, study), "exports": exports},
    )


@login_required
@require_POST
def start_analysis(request: HttpRequest, slug: str, export_id: int) -> HttpResponse:
    study = access.get_study(request.user, slug)
    export = access.get_export_to_analyse(request.user, study, export_id)
    try:
        analysis = request_analysis(request.user, export)
    except ResearchError as exc:
        messages.error(request, exc.message)
        return redirect("research_analyses", slug=study.slug)
    return redirect("research_analysis", slug=study.slug, analysis_id=analysis.pk)


@login_required
@require_GET
def analysis(request: HttpRequest, slug: str, analysis_id: int) -> HttpResponse:
    study = access.get_study(request.user, slug)
    found = access.get_analysis(request.user, study, analysis_id)
    return render(
        request,
        "research/analysis_detail.html",
        {
            "study": study,
            "analysis": found,
            "under_way": found.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        },
    )


@login_required
@require_GET
@xframe_options_sameorigin
def analysis_report(request: HttpRequest, slug: str, analysis_id: int) -> HttpResponse:
    study = access.get_study(request.user, slug)
    found = access.get_analysis(request.user, study, analysis_id)
    if found.status != JobStatus.DONE or not found.report_html:
        raise Http404("The report is not ready")
    # Pseudonymous figures of the study's participants: a read the audit trail shows.
    record(request.user, "research.analysis.read", found, study_id=study.pk)
    response = HttpResponse(found.report_html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_POLICY
    response["Cache-Control"] = "private, no-store"
    return response
