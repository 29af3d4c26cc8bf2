"""The exercise library in the JSON API: the templates a staff member may assign, with their field schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from emotipal.accounts import access
from emotipal.library.access import latest_versions
from emotipal.library.models import TemplateVersion
from emotipal.platform.api import require

router = Router()


class TemplateOut(Schema):
    slug: str
    version: int
    kind: str
    title: str
    summary: str
    rationale: str
    instructions: str
    estimated_minutes: int
    fields: list[dict[str, Any]]


def template_out(v: TemplateVersion) -> dict[str, Any]:
    return {
        "slug": v.template.slug,
        "version": v.number,
        "kind": v.template.kind,
        "title": v.title,
        "summary": v.summary,
        "rationale": v.rationale,
        "instructions": v.instructions,
        "estimated_minutes": v.estimated_minutes,
        "fields": v.field_list,
    }


@router.get("/templates", response=list[TemplateOut], tags=["library"])
def templates(request: HttpRequest) -> list[dict[str, Any]]:
    require(access.is_staff_member(request.user))
    return [template_out(v) for v in latest_versions(access.staff_clinic(request.user), request.user)]
