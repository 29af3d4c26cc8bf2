"""Staff invite a client to a study: a therapist chooses one of their own clients, a study's team member types
the client's e-mail address. The action (actions/enrollment.py) decides who may invite whom."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from emotipal.accounts import access as accounts_access
from emotipal.accounts.gates import request_user, staff_required
from emotipal.accounts.models import ClientProfile
from emotipal.research import access
from emotipal.research.actions import enrollment
from emotipal.research.errors import ResearchError
from emotipal.research.models import ParticipantState, Study


def _choices(user: Any) -> list[dict[str, Any]]:
    """Per study: the user's own clients at its sites (for a therapist), and whether they may invite by e-mail."""
    rows = []
    for study in enrollment.studies_to_invite_to(user):
        clinics = enrollment.site_clinic_ids(study)
        clients = list(
            ClientProfile.objects.filter(therapist=user, clinic_id__in=clinics, discharged_on__isnull=True)
            .exclude(study_participations__study=study)
            .select_related("user")
            .order_by("user__display_name")
        )
        rows.append({"study": study, "clients": clients, "by_email": access.can_manage(user, study)})
    return rows


def _client(user: Any, raw: str | None) -> ClientProfile | None:
    try:
        return ClientProfile.objects.select_related("user").get(pk=int(raw or ""), therapist=user)
    except (ClientProfile.DoesNotExist, ValueError):
        return None


def _invite(user: Any, study: Study | None, client_id: str | None, email: str) -> Any:
    if study is None:
        raise ResearchError(_("Choose a study."))
    if email.strip():
        return enrollment.invite_by_email(user, study, email)
    client = _client(user, client_id)
    if client is None:
        raise ResearchError(enrollment.no_such_client())
    return enrollment.invite(user, study, client)


@staff_required
def invite(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    rows = _choices(user)
    # The therapist sees names of their own clients here, as on their caseload: a read, so it is audited.
    accounts_access.note_reads(user, [c for row in rows for c in row["clients"]], "research_invite")
    error = ""
    if request.method == "POST":
        study = next((r["study"] for r in rows if r["study"].slug == request.POST.get("study")), None)
        try:
            participant = _invite(user, study, request.POST.get("client"), request.POST.get("email", ""))
        except ResearchError as exc:
            error = exc.message
        else:
            if participant.state == ParticipantState.ELIGIBLE:
                messages.success(request, _("Invited. The client sees the invitation in their settings."))
            else:
                messages.warning(
                    request, _("Invited and screened: the client does not meet the study's criteria.")
                )
            return redirect("research_invite")
    return render(
        request, "research/invite_form.html", {"rows": rows, "error": error}, status=400 if error else 200
    )
