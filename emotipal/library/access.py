"""Which exercise templates a staff member may see and assign: the library's one visibility rule."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from emotipal.library.models import TemplateVersion


def assignable_versions(clinic: Any = None, user: Any = None) -> QuerySet[TemplateVersion]:
    """Every version of every active template a therapist may assign: the shipped library, and the clinic's
    own templates that are shared with the clinic or were made by this user. The one rule for what may be
    assigned: the form's choices, the API's look-up and assign_homework all come through here."""
    mine = Q(template__clinic=clinic) & (Q(template__shared_with_clinic=True) | Q(template__owner=user))
    visible = (
        Q(template__clinic__isnull=True) | mine if clinic is not None else Q(template__clinic__isnull=True)
    )
    return TemplateVersion.objects.filter(visible, template__is_active=True).select_related("template")


def latest_versions(clinic: Any = None, user: Any = None) -> list[TemplateVersion]:
    """The newest of the assignable versions of each template (see assignable_versions)."""
    versions = assignable_versions(clinic, user)
    newest: dict[int, TemplateVersion] = {}
    for version in versions:
        if version.template_id not in newest or version.number > newest[version.template_id].number:
            newest[version.template_id] = version
    return sorted(newest.values(), key=lambda v: v.title)
