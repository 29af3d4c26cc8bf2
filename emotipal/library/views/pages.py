"""The exercise library as staff see it: what each exercise is for and what the client fills in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from emotipal.accounts.access import (
    can_assign_to,
    caseload,
    get_visible_client,
    is_clinician,
    note_reads,
    staff_clinic,
)
from emotipal.accounts.gates import clinician_required, staff_required
from emotipal.library import variants
from emotipal.library.access import latest_versions
from emotipal.library.exercise_form import bind_fields
from emotipal.library.models import TemplateVersion
from emotipal.platform.input_rules import parse_id


@staff_required
def library(request: HttpRequest) -> HttpResponse:
    return render(
        request, "library/list.html", {"versions": latest_versions(staff_clinic(request.user), request.user)}
    )


@staff_required
def template_detail(request: HttpRequest, slug: str) -> HttpResponse:
    visible = [v.pk for v in latest_versions(staff_clinic(request.user), request.user)]
    version = (
        TemplateVersion.objects.filter(template__slug=slug, pk__in=visible).select_related("template").first()
    )
    if version is None:
        raise Http404("No such exercise")
    # "Assign to a client" lists the staff member's own caseload by name: a read of those clients, audited.
    assign_to = (
        list(caseload(request.user).select_related("user").order_by("user__first_name", "pk"))
        if is_clinician(request.user)
        else []
    )
    note_reads(request.user, assign_to, "library.assign_to")
    chosen = variants.find(version.variants, request.GET.get("variant"))
    fields = variants.apply_to_fields(version.field_list, chosen)
    return render(
        request,
        "library/detail.html",
        {
            "version": version,
            "texts": {
                k: variants.text(version.__dict__, chosen, k) for k in ("title", "rationale", "instructions")
            },
            "variant": chosen,
            "variants": version.variants or [],
            "bound_fields": bind_fields(fields, {}, {}),
            "preview": True,
            "can_copy": is_clinician(request.user),
            "assign_to": assign_to,
        },
    )


@clinician_required
def assign_from_library(request: HttpRequest, version_id: int) -> HttpResponse:
    """From an exercise in the library to the assign page for one of the caseload, that exercise chosen."""
    visible = {v.pk for v in latest_versions(staff_clinic(request.user), request.user)}
    if version_id not in visible:
        raise Http404("No such exercise")
    client_id = parse_id(request.GET.get("client"))
    if client_id is None:
        raise Http404("No such client")
    client = get_visible_client(request.user, client_id)
    if not can_assign_to(request.user, client):
        raise Http404("No such client")
    return redirect(f"{reverse('assign', args=[client.pk])}?template={version_id}")
