"""The "Download my data" link on a client's settings page (the platform/extensions settings_links hook)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts import access


def settings_links(user: Any) -> list[tuple[str, str, int]]:
    if access.is_client(user):
        return [(_("Download my data"), reverse("privacy:my_data"), 0)]
    return []
