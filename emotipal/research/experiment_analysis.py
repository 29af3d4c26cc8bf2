"""Analyses of a running or stopped experiment from what the platform recorded.

A micro-randomised trial is analysed from its decision points: the causal excursion effect of a reminder on
starting the practice within the window (WCLS, emotipal.analysis.trials.mrt), overall and moderated by days in
treatment. Decision points whose window has not ended yet have no outcome and are left out until it has.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from emotipal.analysis.trials import mrt
from emotipal.platform import clock
from emotipal.research import pseudonyms
from emotipal.research.models import DecisionPoint, Experiment

DAY = "days_in_treatment"


def decision_frame(experiment: Experiment) -> pd.DataFrame:
    """One row per decision point with a known outcome (or not available), pseudonymous participants."""
    points = (
        DecisionPoint.objects.filter(experiment=experiment)
        .select_related("participant__client__clinic")
        .order_by("participant_id", "day")
    )
    rows = []
    index: dict[int, int] = {}
    for point in points:
        if point.available and point.outcome is None:
            continue  # the window is still open
        participant = point.participant
        enrolled = participant.enrolled_at or point.at
        start = clock.local_date(enrolled, clock.zone_for_client(participant.client))
        n = index.get(participant.pk, 0)
        index[participant.pk] = n + 1
        rows.append(
            {
                "participant": pseudonyms.pseudonym(experiment.study, "client", participant.client_id),
                "decision": n,
                DAY: (point.day - start).days,
                "available": point.available,
                "probability": point.probability,
                "treated": point.treated,
                "outcome": None if point.outcome is None else float(point.outcome),
            }
        )
    columns = ["participant", "decision", DAY, "available", "probability", "treated", "outcome"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class MRTAnalysis:
    overall: mrt.Excursion | None
    by_day: mrt.Excursion | None
    n_points: int
    message: str  # why an estimate is missing, else ""


def mrt_analysis(experiment: Experiment) -> MRTAnalysis:
    frame = decision_frame(experiment)
    if frame.empty:
        return MRTAnalysis(None, None, 0, _("No decision point has a known outcome yet."))
    try:
        overall = mrt.excursion_effect(frame)
    except mrt.MRTInputError as exc:
        return MRTAnalysis(
            None, None, len(frame), _("Not enough data for an estimate yet: %(why)s") % {"why": exc}
        )
    try:
        by_day = mrt.excursion_effect(frame, moderators=[DAY])
    except mrt.MRTInputError:
        by_day = None
    return MRTAnalysis(overall, by_day, len(frame), "")
