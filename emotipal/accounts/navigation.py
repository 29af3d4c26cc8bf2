"""Navigation per role, for base.html."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts import access
from emotipal.platform import extensions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, str]] = []
    counts: dict[str, int] = {}  # url -> a number shown beside the item (open alerts)
    if access.is_client(user):
        items.append((_("Today"), reverse("today")))
        items.append((_("Ladders"), reverse("ladders")))
    if access.is_clinician(user):
        items.append((_("Clients"), reverse("caseload")))
        items.append((_("Alerts"), reverse("alerts")))
        counts[reverse("alerts")] = extensions.open_alert_count.answer(user)
    if access.is_staff_member(user):
        items.append((_("Library"), reverse("library")))
    if access.is_clinic_admin(user):
        items.append((_("Clinic"), reverse("clinic_admin")))
    items.extend(extensions.navigation_items.answer(user))
    items.append((_("Settings"), reverse("settings")))
    if access.is_client(user):
        items.append((_("Help now"), reverse("support")))
    return {
        "nav_items": items,
        "is_client": access.is_client(user),
        "nav_alerts_url": reverse("alerts"),
        "nav_alert_count": counts.get(reverse("alerts"), 0),
    }
