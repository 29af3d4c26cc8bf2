"""What supervision adds to the main navigation and where a supervisor lands (the Hooks of platform/extensions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts import access as accounts_access


def navigation_items(user: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if not accounts_access.is_staff_member(user):  # clients: nothing, and no query on their pages
        return items
    if accounts_access.is_supervisor(user):
        items.append((_("Supervision"), reverse("supervision_home")))
    if accounts_access.is_clinic_admin(user):
        items.append((_("Supervisors"), reverse("supervision_links")))
    return items


def staff_landing(user: Any) -> str | None:
    """A supervisor who is no clinician lands on their supervisees, not on the exercise library."""
    if not accounts_access.is_clinician(user) and accounts_access.is_supervisor(user):
        return reverse("supervision_home")
    return None
