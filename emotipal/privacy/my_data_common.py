"""Small helpers shared by the sections of a client's data download (privacy/my_data*.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def person_name(user: Any) -> str:
    """A staff member (or anyone other than the client) as the download names them: by the name they gave,
    never by their e-mail address, which is theirs and not the client's data."""
    if user is None:
        return ""
    return str(getattr(user, "display_name", "") or _("A member of staff"))
