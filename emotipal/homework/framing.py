"""Which variant of an exercise a client is shown: the rationale_framing experiment feature.

The therapist picks a variant when assigning (the template's own wording, a translation, ...). A client whose
experiment arm sets `rationale_framing.framing = "family"` is shown the template's family and community variant
in their own language instead (variant keys `family-<language>`, see emotipal/library/exercises/*.yaml), when
the template has one; otherwise the assigned variant. The entry records the variant it was written in, so the
export says which framing each entry had. Outside an experiment the framing is "self": the assigned variant.
"""

from __future__ import annotations

from typing import Any

from emotipal.homework.models import Assignment
from emotipal.platform import features

FAMILY_PREFIX = "family"


def _language(code: str | None) -> str:
    return (code or "").split("-")[0].lower()


def family_variant_key(variants: list[dict[str, Any]] | None, language: str | None) -> str | None:
    """The key of the template's family and community variant in that language, or None if it has none."""
    wanted = _language(language)
    for variant in variants or []:
        key = str(variant.get("key") or "")
        if (key == FAMILY_PREFIX or key.startswith(FAMILY_PREFIX + "-")) and _language(
            variant.get("language")
        ) == wanted:
            return key
    return None


def shown_variant_key(assignment: Assignment) -> str:
    """The variant this assignment's client is shown (and writes their entry in)."""
    client = assignment.client  # one ClientProfile object per request: features caches on it
    if features.value(client, "rationale_framing")["framing"] != "family":
        return assignment.variant_key
    family = family_variant_key(assignment.template_version.variants, client.user.language)
    return family or assignment.variant_key
