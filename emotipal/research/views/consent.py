"""The client's study pages: invitations, the information to read, signing or declining, the signed copy, and
withdrawal. A client sees only their own participations (access.get_own_participation answers 404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import client_required, request_user
from emotipal.research import access, queries_consent
from emotipal.research.actions import consent as actions
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.consent_text import render_consent
from emotipal.research.errors import ResearchError
from emotipal.research.models import ConsentRecord, ConsentScope, Participant, ParticipantState

OPTIONAL_SCOPES = [s for s in ConsentScope if s != ConsentScope.DATA]
S = ParticipantState


def client_label(state: str) -> str:
    """The participant's state in the client's words (the research states are named for the CONSORT flow)."""
    labels: dict[str, str] = {
        S.CANDIDATE: _("Invitation"),
        S.SCREENED: _("Invitation"),
        S.ELIGIBLE: _("Invitation"),
        S.INELIGIBLE: _("Not a fit right now"),
        S.CONSENTED: _("Taking part"),
        S.ENROLLED: _("Taking part"),
        S.LOST: _("Taking part"),
        S.COMPLETED: _("Finished"),
        S.DECLINED: _("Not taking part"),
        S.WITHDRAWN: _("Withdrawn"),
    }
    return str(labels.get(state, state))


def _summary(participant: Participant) -> dict[str, Any]:
    return {
        "participant": participant,
        "state_label": client_label(participant.state),
        "to_answer": participant.state in queries_consent.AWAITING_ANSWER,
        "reconsent": queries_consent.needs_reconsent(participant),
        "may_withdraw": actions.may_withdraw(participant),
        "signed": queries_consent.latest_consent(participant),
    }


@client_required
def my_studies(request: HttpRequest) -> HttpResponse:
    own = access.own_participations(request.user).order_by("-invited_at")
    return render(request, "research/consent_list.html", {"rows": [_summary(p) for p in own]})


def _study_page(
    request: HttpRequest, participant: Participant, errors: dict[str, str], status: int = 200
) -> HttpResponse:
    document = queries_consent.document_for(participant.study, request_user(request).language)
    summary = _summary(participant)
    # A client who declined may change their mind while the study recruits: the text and the form stay there.
    changing_mind = participant.state == ParticipantState.DECLINED
    asking = summary["to_answer"] or summary["reconsent"] or changing_mind
    return render(
        request,
        "research/consent_study.html",
        {
            **summary,
            "study": participant.study,
            "document": document,
            "body": render_consent(document.body_markdown) if document else "",
            "asking": asking,
            "problem": recruitment_problem(participant.study)
            if summary["to_answer"] or changing_mind
            else None,
            "data_scope": ConsentScope.DATA,
            "optional_scopes": OPTIONAL_SCOPES,
            "chosen": request.POST.getlist("scopes") if request.method == "POST" else [],
            "typed_name": request.POST.get("typed_name", ""),
            "errors": errors,
            "policy": participant.withdrawal_policy or participant.study.withdrawal_policy,
            "withdrawn": participant.state == ParticipantState.WITHDRAWN,
        },
        status=status,
    )


@client_required
def study(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.get_own_participation(request.user, participant_id)
    return _study_page(request, participant, {})


def _refused(request: HttpRequest, participant: Participant, exc: ResearchError) -> HttpResponse:
    return _study_page(request, participant, {"form": exc.message, **exc.errors}, status=400)


@client_required
@require_POST
def sign(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.get_own_participation(request.user, participant_id)
    try:
        signed = actions.sign(
            request_user(request),
            participant,
            request.POST.get("document"),
            request.POST.getlist("scopes"),
            request.POST.get("typed_name", ""),
        )
    except ResearchError as exc:
        return _refused(request, participant, exc)
    messages.success(request, _("Thank you. You are taking part; here is your signed copy."))
    return redirect("consent_copy", participant_id=participant.pk, record_id=signed.pk)


@client_required
@require_POST
def decline(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.get_own_participation(request.user, participant_id)
    try:
        actions.decline(request_user(request), participant, request.POST.get("document"))
    except ResearchError as exc:
        return _refused(request, participant, exc)
    messages.success(request, _("You are not taking part. Your care stays exactly the same."))
    return redirect("my_studies")


@client_required
@require_POST
def withdraw(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.get_own_participation(request.user, participant_id)
    try:
        actions.withdraw(request_user(request), participant, request.POST.get("reason", ""))
    except ResearchError as exc:
        return _refused(request, participant, exc)
    messages.success(request, _("You have withdrawn from the study. Your care stays exactly the same."))
    return redirect("consent_study", participant_id=participant.pk)


@client_required
def signed_copy(request: HttpRequest, participant_id: int, record_id: int) -> HttpResponse:
    participant = access.get_own_participation(request.user, participant_id)
    signed = (
        ConsentRecord.objects.select_related("document")
        .filter(participant=participant, pk=record_id, decision="consented")
        .first()
    )
    if signed is None:
        raise Http404("No such signed consent")
    context = {
        "participant": participant,
        "study": participant.study,
        "signed": signed,
        "document": signed.document,
        "body": render_consent(signed.document.body_markdown),
        "scope_labels": [ConsentScope(s).label for s in signed.scopes],
        "not_chosen": [s.label for s in ConsentScope if s not in signed.scopes],
    }
    if request.GET.get("format") == "txt":
        response = render(
            request, "research/consent_copy.txt", context, content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="consent-{participant.study.slug}-{signed.pk}.txt"'
        )
        return response
    return render(request, "research/consent_copy.html", context)
