"""The engagement index explained in the reader's language (the pure analysis package holds English text)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PART_NAMES = {
    "completion": _("Completion"),
    "quality": _("Quality"),
    "effort": _("Effort"),
    "time": _("Time"),
}
PART_DESCRIPTIONS = {
    "completion": _("Share of planned practices submitted (more than planned counts as 100 %)."),
    "quality": _(
        "How well the homework was done, from session ratings (0-4 x 25): the client and therapist ratings "
        "combined where both rated, otherwise the average of those that exist."
    ),
    "effort": _("The client's own effort rating when submitting each practice (0-4 x 25), averaged."),
    "time": _("Share of the planned practice minutes spent active in the exercise (capped at 100 %)."),
}


def parts(index: object) -> list[dict[str, object]]:
    """The index's parts with translated names and descriptions, for templates."""
    return [
        {
            "name": PART_NAMES.get(c.name, c.name),
            "description": PART_DESCRIPTIONS.get(c.name, c.description),
            "value": c.value,
            "weight": c.weight,
            "used_weight": c.used_weight,
        }
        for c in getattr(index, "components", ())
    ]
