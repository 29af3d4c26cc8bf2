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
    "completion": _(
        "Share of planned practices submitted, each homework counting up to its own plan (extra practices "
        "of one homework do not make up for another)."
    ),
    "quality": _(
        "How well the homework was done, from all session ratings (0-4 x 25): each rated homework counts "
        "once, with the client's and therapist's ratings averaged where both rated it."
    ),
    "effort": _("The client's own effort rating when submitting each practice (0-4 x 25), averaged."),
    "time": _(
        "Share of the planned practice minutes spent active in the exercise, each homework counting up to "
        "its own planned minutes."
    ),
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
