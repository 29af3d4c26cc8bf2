"""What the support app adds to other apps' pages (slots and hooks of platform/extensions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts import access as accounts_access
from emotipal.support import access


def navigation_items(user: Any) -> list[tuple[str, str]]:
    if access.is_coach(user):
        return [(_("People I support"), reverse("support:coach_page"))]
    return []


def coach_landing(user: Any) -> str | None:
    """A coach has no clinic role: their home is the page of the people they support."""
    return reverse("support:coach_page") if access.is_coach(user) else None


def settings_links(user: Any) -> list[tuple[str, str, int]]:
    if accounts_access.is_client(user):
        return [(_("Support person"), reverse("support:support_page"), 0)]
    return []
