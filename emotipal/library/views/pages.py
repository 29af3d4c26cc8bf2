"""The exercise library as staff see it: what each exercise is for and what the client fills in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from emotipal.accounts.access import is_clinician, staff_clinic
from emotipal.accounts.gates import staff_required
from emotipal.library import variants
from emotipal.library.access import latest_versions
from emotipal.library.exercise_form import bind_fields
from emotipal.library.models import TemplateVersion


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
        },
    )
