"""How much of the weekly PHQ-9 is missing, and the improvement summary pooled over the imputations."""

from __future__ import annotations

import statistics
from typing import Any

from .dataset import Dataset
from .figures import IMPROVEMENT_DEFINITION, improvement_imputations, imputed_scores
from .imputation import DEFAULT_IMPUTATIONS, METHOD, rubin


def missing_summary(data: Dataset) -> dict[str, Any]:
    """The share of client-weeks without a PHQ-9 score, in treatment and after an early discharge.

    Every client is expected to have a score in every week of the data set (weeks 0 .. weeks - 1); the
    weeks after an early discharge are counted apart, as no questionnaire is usually sent then.
    """
    weeks = data.weeks
    expected = len(data.clients) * weeks
    missing = after = 0
    for c in data.clients:
        for w in range(weeks):
            if w not in c.scores:
                missing += 1
                after += c.discharged_week is not None and w > c.discharged_week
    end_missing = sum(1 for c in data.clients if weeks and (weeks - 1) not in c.scores)
    return {
        "client_weeks": expected,
        "missing": missing,
        "share_missing": missing / expected if expected else 0.0,
        "missing_after_discharge": after,
        "missing_in_treatment": missing - after,
        "clients": len(data.clients),
        "clients_end_score_missing": end_missing,
        "share_end_score_missing": end_missing / len(data.clients) if data.clients else 0.0,
        "handling": "weekly mixed model: the observed scores only (valid under missing at random); "
        f"per-client figures: {METHOD}, {DEFAULT_IMPUTATIONS} imputations",
    }


def improvement_summary(data: Dataset) -> dict[str, Any]:
    """Mean (pooled by Rubin's rules, with its 95% CI) and SD of the baseline-adjusted improvement."""
    draws = improvement_imputations(data)
    n = len(draws[0]) if draws else 0
    out: dict[str, Any] = {"definition": IMPROVEMENT_DEFINITION, "n": n, "imputations": len(draws)}
    if n < 2:
        return {**out, "mean": None, "sd": None, "ci_low": None, "ci_high": None, "fmi": None}
    means = [statistics.fmean(d.values()) for d in draws]
    variances = [statistics.variance(d.values()) for d in draws]
    pooled = rubin(means, [v / n for v in variances], df_complete=float(n - 1))
    return {
        **out,
        "mean": pooled.estimate,
        "sd": statistics.fmean(variances) ** 0.5,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "fmi": pooled.fmi,
        "share_imputed": float(1.0 - imputed_scores(data).observed[:, -1].mean()),
    }
