"""What the measures page says about change, each verdict under its own name.

* Per questionnaire, the Jacobson-Truax reliable change index with the instrument's configured SD and
  reliability, and clinically significant change (Jacobson & Truax criteria a, b and c) where EmotiPal has
  norms for the measure. Neither is called recovery.
* Over the PHQ-9 and GAD-7 together, the NHS Talking Therapies outcome (caseness, reliable improvement and
  deterioration, recovery, reliable recovery) with the NHS's fixed thresholds: the only recovery on the
  page. With one of the two measures only, the page says the paired outcome cannot be computed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from emotipal.analysis import paired_outcomes as paired
from emotipal.analysis.clinical_significance import CRITERIA, clinical_significance
from emotipal.analysis.outcomes import (
    GAD7_CASENESS,
    GAD7_RELIABLE_CHANGE,
    PHQ9_CASENESS,
    PHQ9_RELIABLE_CHANGE,
    jacobson_truax,
    reliable_change_index_threshold,
)
from emotipal.definitions.norms import norms_for, standard_measure
from emotipal.measures.models import Response
from emotipal.platform import clock

RECOVERY_LABELS = {  # marked for translation here, translated where used
    paired.NOT_CASE_AT_START: gettext_noop("Below caseness at the start: recovery does not apply"),
    paired.RELIABLE_RECOVERY: gettext_noop("Reliable recovery"),
    paired.RECOVERY: gettext_noop("Recovery (without reliable improvement)"),
    paired.NOT_RECOVERED: gettext_noop("Not recovered"),
}
CHANGE_LABELS = {
    paired.RELIABLE_IMPROVEMENT: gettext_noop("reliable improvement"),
    paired.RELIABLE_DETERIORATION: gettext_noop("reliable deterioration"),
    paired.NO_RELIABLE_CHANGE: gettext_noop("no reliable change"),
}
CANNOT_COMPUTE = {
    paired.NO_SCORES: gettext_noop("There are no PHQ-9 or GAD-7 scores yet."),
    paired.NO_PHQ9: gettext_noop("It needs both the PHQ-9 and the GAD-7; this client has GAD-7 scores only."),
    paired.NO_GAD7: gettext_noop("It needs both the PHQ-9 and the GAD-7; this client has PHQ-9 scores only."),
    paired.NOT_TOGETHER: gettext_noop("No PHQ-9 and GAD-7 were completed within 7 days of each other."),
    paired.ONE_OCCASION: gettext_noop("There is one PHQ-9 and GAD-7 pair so far; a later pair is needed."),
}
MEASURE_NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7"}
# The words for a Jacobson-Truax verdict (first score -> a later one), one set for every place that says it:
# the card, the chart's markers and table, the caseload and the client's summary. Translated where shown.
RELIABLE_CHANGE_WORDS = {
    "reliable_improvement": gettext_noop("Reliable improvement"),
    "reliable_deterioration": gettext_noop("Reliable deterioration"),
    "no_reliable_change": gettext_noop("No reliable change"),
}


def reliable_change_words(status: str | None) -> str:
    """The translated verdict; empty when there is none (one score so far, or no configured SD)."""
    return _(RELIABLE_CHANGE_WORDS[status]) if status in RELIABLE_CHANGE_WORDS else ""


def reliable_change_index(
    definition: dict[str, Any], before: float | None, after: float | None
) -> dict[str, Any] | None:
    """The Jacobson-Truax index of first -> latest with the configured values, and the points it needs."""
    rc = definition.get("reliable_change")
    if not rc or before is None or after is None:
        return None
    direction = definition.get("direction", "lower_is_better")
    change = jacobson_truax(before, after, sd=rc["sd"], reliability=rc["reliability"], direction=direction)
    threshold = reliable_change_index_threshold(rc["sd"], rc["reliability"])
    whole = (definition.get("scoring") or {}).get("method", "sum") == "sum"
    return {
        "rci": change.rci,
        "status": change.status,
        "threshold": threshold,
        # Sum scores move in whole points: a change is reliable from the first whole number above the
        # threshold (PHQ-9 with SD 5.7 and reliability 0.84: 6.32, so 7 points).
        "points": math.floor(threshold) + 1 if whole else None,
        "sd": rc["sd"],
        "reliability": rc["reliability"],
    }


def significance(
    definition: dict[str, Any], before: float | None, after: float | None
) -> dict[str, Any] | None:
    """Clinically significant change on criteria a, b and c, where EmotiPal has norms for the measure."""
    norms = norms_for(definition)
    rc = definition.get("reliable_change")
    if norms is None or not rc or before is None or after is None:
        return None
    result = clinical_significance(
        before,
        after,
        norms,
        sd=rc["sd"],
        reliability=rc["reliability"],
        direction=definition.get("direction", "lower_is_better"),
    )
    return {
        "preferred": result.preferred,
        "criteria": [result.criteria[c] for c in CRITERIA],
        "norms": norms,
        # As written in the sources (2.91, 15, 5.7), neither padded nor rounded.
        "functional": {"mean": f"{norms.functional.mean:g}", "sd": f"{norms.functional.sd:g}"},
        "dysfunctional": {"mean": f"{norms.dysfunctional.mean:g}", "sd": f"{norms.dysfunctional.sd:g}"},
    }


def paired_summary(responses: list[Response], tz: dt.tzinfo = clock.UTC) -> dict[str, Any] | None:
    """The NHS Talking Therapies paired outcome for the page; None when the client has neither measure."""
    scores: dict[str, list[paired.Scored]] = {"phq9": [], "gad7": []}
    for r in responses:
        measure = standard_measure(r.instrument_version.definition)
        if measure and r.total is not None and r.completed_at is not None:
            scores[measure].append(paired.Scored(when=r.completed_at, score=r.total, prorated=r.prorated))
    course = paired.paired_course(scores["phq9"], scores["gad7"])
    if course.missing == paired.NO_SCORES:
        return None
    summary: dict[str, Any] = {
        "course": course,
        "thresholds": {
            "phq9_caseness": PHQ9_CASENESS,
            "gad7_caseness": GAD7_CASENESS,
            "phq9_reliable": PHQ9_RELIABLE_CHANGE,
            "gad7_reliable": GAD7_RELIABLE_CHANGE,
        },
        "window_days": paired.PAIR_WINDOW.days,
        "cannot": _(CANNOT_COMPUTE[course.missing]) if course.missing else None,
    }
    if course.outcome is None or course.first is None or course.last is None:
        return summary
    first, last = course.first, course.last
    summary["recovery_key"] = course.recovery
    summary["recovery"] = _(RECOVERY_LABELS[course.recovery or ""])
    summary["change_key"] = course.change
    summary["change"] = _(CHANGE_LABELS[course.change or ""])
    summary["rows"] = [
        {
            "name": MEASURE_NAMES[measure],
            "first": getattr(first, measure),
            "first_day": clock.local_date(getattr(first, measure).when, tz),
            "last": getattr(last, measure),
            "last_day": clock.local_date(getattr(last, measure).when, tz),
            "change": getattr(last, measure).score - getattr(first, measure).score,
            "nhs": getattr(course.outcome, measure),
        }
        for measure in ("phq9", "gad7")
    ]
    summary["prorated"] = first.prorated or last.prorated
    return summary
