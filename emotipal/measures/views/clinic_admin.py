"""Clinic admin pages for questionnaires and safety: the instrument builder, REDCap import and export, crisis
resources per language, and the alert policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from emotipal.accounts import access
from emotipal.accounts.gates import clinic_admin_required, request_user
from emotipal.accounts.models import Clinic, Role
from emotipal.definitions.instruments import DefinitionError
from emotipal.measures import builder, builder_actions, services
from emotipal.measures.models import CrisisResource, Instrument
from emotipal.measures.questionnaire_form import bind_items
from emotipal.measures.redcap import RedcapError, export_dictionary, import_dictionary
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import parse_index, text_problem

MAX_UPLOAD = 2 * 1024 * 1024
EXAMPLE = builder.EXAMPLE


def _clinic(request: HttpRequest) -> Clinic:
    clinic = access.clinics_where(request.user, Role.ADMIN).first()
    assert clinic is not None  # the decorator let only clinic admins in
    return clinic


@clinic_admin_required
def instruments(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    text = request.POST.get("definition", "")
    preview, error, report = None, None, []
    lost: list[str] = []
    lost_digest = ""
    if request.method == "POST" and request.POST.get("action") in ("preview", "save"):
        try:
            definition = builder.parse(text)
        except builder.BuilderError as exc:
            error = str(exc)
        else:
            if request.POST["action"] == "save":
                try:
                    version, created = builder_actions.save_built_instrument(
                        request_user(request),
                        clinic,
                        definition,
                        confirmed=request.POST.get("confirm_risk_loss", ""),
                    )
                except builder_actions.RiskItemsLost as exc:
                    error = _(
                        "Not saved: this version no longer raises an alert for an item the previous version "
                        "did. Check the items below, then tick the box to confirm."
                    )
                    lost, lost_digest = exc.lost, exc.digest
                else:
                    messages.success(
                        request,
                        _("%(name)s saved as version %(number)s.")
                        % {"name": version.name, "number": version.number}
                        if created
                        else _("No changes."),
                    )
                    return redirect("clinic_instruments")
            else:
                lost = builder_actions.lost_on_save(clinic, definition)
                lost_digest = builder_actions.loss_digest(lost) if lost else ""
            preview = {
                "definition": definition,
                "items": bind_items(definition, {}, {}),
                "risk": builder.risk_items(definition),
            }
    elif request.method == "POST" and request.POST.get("action") == "import":
        upload = request.FILES.get("file")
        if upload is None or (upload.size or 0) > MAX_UPLOAD:
            error = _("Choose a REDCap data dictionary CSV (at most 2 MB).")
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                problem = text_problem(text)  # PostgreSQL cannot store NUL in the definitions' JSON
                if problem:
                    raise RedcapError(problem)
                result = import_dictionary(text)
                # An import cannot be confirmed item by item: one that would stop a saved risk item from
                # alerting is refused whole (the builder can make that change, with its confirmation).
                losses = [
                    (definition["name"], lost)
                    for definition in result.definitions
                    if (lost := builder_actions.lost_on_save(clinic, definition))
                ]
                if losses:
                    raise RedcapError(
                        _("%(form)s would no longer raise an alert for: %(items)s")
                        % {"form": losses[0][0], "items": "; ".join(losses[0][1])}
                    )
                for definition in result.definitions:
                    services.store_instrument(definition, clinic)
            except (RedcapError, DefinitionError) as exc:
                error = _("Nothing was imported: %(reason)s") % {"reason": exc}
            except UnicodeDecodeError:
                error = _("Nothing was imported: the file is not UTF-8 text.")
            else:
                report = result.report
                record(
                    request.user,
                    "instrument.import_redcap",
                    clinic,
                    clinic_id=clinic.pk,
                    forms=len(result.definitions),
                )
                messages.success(
                    request,
                    ngettext(
                        "Imported %(count)d instrument.",
                        "Imported %(count)d instruments.",
                        len(result.definitions),
                    )
                    % {"count": len(result.definitions)},
                )
    return render(
        request,
        "measures/clinic_instruments.html",
        {
            "clinic": clinic,
            "instruments": services.instruments_for(clinic),
            "text": text or EXAMPLE,
            "preview": preview,
            "lost": lost,
            "lost_digest": lost_digest,
            "error": error,
            "report": report,
        },
        status=400 if error else 200,
    )


@clinic_admin_required
def export_redcap(request: HttpRequest, instrument_id: int) -> HttpResponse:
    clinic = _clinic(request)
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    if instrument is None or instrument.clinic_id not in (None, clinic.pk):
        raise Http404("No such instrument")
    response = HttpResponse(
        export_dictionary(services.latest_version(instrument).definition),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{instrument.key}-redcap-dictionary.csv"'
    return response


@clinic_admin_required
def safety(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    error = None
    if request.method == "POST" and request.POST.get("action") == "policy":
        hours = parse_index(request.POST.get("alert_escalation_hours", "").strip(), maximum=1000) or 0
        try:
            services.set_safety_policy(
                request_user(request), clinic, hours, request.POST.get("answers_read_statement", "")
            )
        except services.MeasureError as exc:
            error = exc.message
        else:
            messages.success(request, _("Safety policy saved."))
            return redirect("clinic_safety")
    elif request.method == "POST" and request.POST.get("action") == "add":
        try:
            services.add_crisis_resource(
                request_user(request),
                clinic,
                language=request.POST.get("language", "en"),
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
            )
        except services.MeasureError as exc:
            error = exc.message
        else:
            messages.success(request, _("Crisis resource added."))
            return redirect("clinic_safety")
    return render(
        request,
        "measures/clinic_safety.html",
        {
            "clinic": clinic,
            "resources": CrisisResource.objects.filter(clinic=clinic),
            "error": error,
            "default": services.DEFAULT_CRISIS,
        },
        status=400 if error else 200,
    )


@clinic_admin_required
@require_POST
def delete_crisis_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    clinic = _clinic(request)
    services.delete_crisis_resource(request_user(request), clinic, resource_id)
    messages.success(request, _("Removed."))
    return redirect("clinic_safety")
