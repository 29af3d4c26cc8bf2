"""Therapists tailor the library: copy a template for the clinic, change its wording and fields, share it.
Every save is a new version, so homework already assigned or answered keeps the version it was given with."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import staff_clinic
from emotipal.accounts.gates import clinician_required, request_user
from emotipal.library.models import ExerciseTemplate, TemplateVersion
from emotipal.library.services import CustomTemplateError, clone_template, save_custom_version, set_shared
from emotipal.platform.input_rules import BadInput, safe_yaml_load


@clinician_required
@require_POST
def clone(request: HttpRequest, version_id: int) -> HttpResponse:
    clinic = staff_clinic(request.user)
    version = TemplateVersion.objects.select_related("template").filter(pk=version_id).first()
    if clinic is None or version is None or version.template.clinic_id not in (None, clinic.pk):
        raise Http404("No such exercise")
    copy = clone_template(request_user(request), version, clinic)
    messages.success(
        request, "A copy for your clinic was made. Change it below; the original stays as it is."
    )
    return redirect("template_edit", template_id=copy.template_id)


def _editable(request: HttpRequest, template_id: int) -> ExerciseTemplate:
    clinic = staff_clinic(request.user)
    template = ExerciseTemplate.objects.filter(pk=template_id, clinic=clinic).first() if clinic else None
    if template is None or (not template.shared_with_clinic and template.owner_id != request.user.pk):
        raise Http404("No such exercise")
    return template


@clinician_required
def edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _editable(request, template_id)
    latest = template.versions.order_by("-number").first()
    assert latest is not None
    values = {
        "title": latest.title,
        "summary": latest.summary,
        "rationale": latest.rationale,
        "instructions": latest.instructions,
        "fields": yaml.safe_dump(latest.fields, allow_unicode=True, sort_keys=False),
        "shared": template.shared_with_clinic,
    }
    error = None
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "") for k in ("title", "summary", "rationale", "instructions", "fields")
        }
        values["shared"] = request.POST.get("shared") == "on"
        try:
            # No tags, anchors/aliases, dates or deep nesting, and a size limit: see safe_yaml_load.
            fields = safe_yaml_load(str(values["fields"] or ""))
        except BadInput as exc:
            error = _("The fields were not saved: %(reason)s") % {"reason": exc.message}
        else:
            try:
                version = save_custom_version(
                    request_user(request), template, {**values, "fields": fields, "variants": latest.variants}
                )
            except CustomTemplateError as exc:
                error = _("Not saved: %(reason)s") % {"reason": exc.message}
            else:
                set_shared(request_user(request), template, bool(values["shared"]))
                messages.success(
                    request,
                    _("Saved as version %(number)s. Earlier homework keeps its version.")
                    % {"number": version.number},
                )
                return redirect("template_edit", template_id=template.pk)
    return render(
        request,
        "library/edit.html",
        {
            "template": template,
            "latest": latest,
            "values": values,
            "error": error,
            "versions": template.versions.order_by("-number"),
        },
        status=400 if error else 200,
    )
