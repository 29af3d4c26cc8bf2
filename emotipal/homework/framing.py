"""Which variant of an exercise a client is shown: the rationale_framing experiment feature and the client's
language (Assignment.shown_variant_key holds the rule, so a model property like display_title can use it).

The therapist picks a variant when assigning (the template's own wording, a translation, ...). A client whose
experiment arm sets `rationale_framing.framing = "family"` is shown the template's family and community variant
in their own language instead (variant keys `family-<language>`, see emotipal/library/exercises/*.yaml), when
the template has one. Otherwise the assigned variant, followed into the language the client uses now. The entry
records the variant it was written in, so the export says which framing and language each entry had.
"""

from __future__ import annotations

from emotipal.homework.models import Assignment
from emotipal.library.variants import family_variant_key

__all__ = ["family_variant_key", "shown_variant_key"]


def shown_variant_key(assignment: Assignment) -> str:
    """The variant this assignment's client is shown (and writes their entry in)."""
    return assignment.shown_variant_key
