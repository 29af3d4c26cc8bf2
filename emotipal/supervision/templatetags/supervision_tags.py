"""Labels for supervision's figures (translated where shown)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def phase_name(phase: str) -> str:
    return {"review": _("Review"), "design": _("Design"), "plan": _("Plan"), "overall": _("All three")}.get(
        phase, phase
    )


@register.filter
def term_name(term: str) -> str:
    return {
        "plan": _("Plan share"),
        "design": _("Design share"),
        "review": _("Review share"),
        "no_review": _("Nothing to review"),
    }.get(term, term)


@register.filter
def measure_name(measure: str) -> str:
    return {"phq9": "PHQ-9", "gad7": "GAD-7"}.get(measure, measure)


@register.filter
def icc(value: Any) -> str:
    low, mid, high = (number_format(round(v, 2), 2) for v in (value.lower, value.value, value.upper))
    return f"{mid} [{low}, {high}]"


@register.filter
def no_fit_reason(reason: str) -> str:
    return {
        "at least three therapists are needed to cluster by therapist": _(
            "at least three therapists with homework are needed, to allow for each therapist's own style."
        ),
        "the plan-phase share does not vary: there is no slope to fit": _(
            "every homework was planned with the same share of steps, so there is nothing to compare."
        ),
    }.get(reason, _("too few homework, or the shares move together."))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """A posted form value by name (to keep the radio buttons checked when the form comes back)."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
