"""The exercise library as staff see it: what each exercise is for and what the client fills in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from emotipal.library.models import TemplateVersion
from emotipal.library.services import latest_versions
from emotipal.web.decorators import staff_required
from emotipal.web.exercise_form import bind_fields


@staff_required
def library(request: HttpRequest) -> HttpResponse:
    return render(request, "library/list.html", {"versions": latest_versions()})


@staff_required
def template_detail(request: HttpRequest, slug: str) -> HttpResponse:
    version = (
        TemplateVersion.objects.filter(template__slug=slug, template__clinic__isnull=True)
        .select_related("template")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise Http404("No such exercise")
    return render(
        request,
        "library/detail.html",
        {"version": version, "bound_fields": bind_fields(version.field_list, {}, {}), "preview": True},
    )
