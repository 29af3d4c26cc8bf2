"""The clinic admin's side of study sites: the studies that ask their clinic to take part, to approve or
decline. The admin sees each study's title, investigator and ethics approval, never its participants."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import clinic_admin_required, request_user
from emotipal.research import access
from emotipal.research.actions import studies as actions
from emotipal.research.errors import ResearchError
from emotipal.research.models import SiteStatus


@clinic_admin_required
def sites(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    rows = list(access.sites_to_decide(user).order_by("status", "-proposed_at"))
    return render(request, "research/site_list.html", {"sites": rows})


@require_POST
@clinic_admin_required
def decide(request: HttpRequest, site_id: int) -> HttpResponse:
    user = request_user(request)
    site = access.get_site_to_decide(user, site_id)
    try:
        decided = actions.decide_site(user, site, request.POST.get("decision", ""))
    except ResearchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(clinic)s in “%(study)s”: %(status)s.")
            % {"clinic": decided.clinic, "study": decided.study, "status": SiteStatus(decided.status).label},
        )
    return redirect("research_sites")
