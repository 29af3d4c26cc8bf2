"""The "Studies" link on a client's settings page, with how many studies wait for their answer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.research import access, queries_consent


def studies_link(user: Any) -> list[tuple[str, str, int]]:
    if not access.own_participations(user).exists():
        return []
    return [(_("Studies"), reverse("my_studies"), queries_consent.awaiting_answer(user))]
