"""What training adds to the main navigation, and where a trainee lands (slots of platform/extensions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.training import access


def navigation_items(user: Any) -> list[tuple[str, str]]:
    if not user.is_authenticated or not access.may_open_training(user):
        return []
    return [(_("Training"), reverse("training_list"))]


def staff_landing(user: Any) -> str | None:
    """A trainee sees no clients: their home is the list of vignettes."""
    if user.is_authenticated and access.is_trainee_only(user):
        return reverse("training_list")
    return None
