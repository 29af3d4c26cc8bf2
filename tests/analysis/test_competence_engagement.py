"""The competence-engagement model recovers a known slope and does not find one where there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emotipal.analysis.competence_engagement import Fit, NoFit, fit


def _simulate(rng: np.random.Generator, slope: float, therapists: int = 30) -> pd.DataFrame:
    rows = []
    for t in range(therapists):
        style = rng.uniform(0.2, 0.9)  # some therapists plan more thoroughly than others
        clinic_effect = rng.normal(0, 0.08)  # their clients engage more or less for other reasons too
        for c in range(5):
            client_effect = rng.normal(0, 0.05)
            for a in range(4):
                plan = float(np.clip(style + rng.normal(0, 0.15), 0, 1))
                design = float(rng.uniform(0, 1))
                review = None if a == 0 else float(rng.uniform(0, 1))
                engagement = 0.3 + slope * plan + clinic_effect + client_effect + rng.normal(0, 0.1)
                rows.append((t, t * 10 + c, plan, design, review, engagement))
    return pd.DataFrame(rows, columns=["therapist_id", "client_id", "plan", "design", "review", "engagement"])


def test_known_slope_recovered_within_ci() -> None:
    result = fit(_simulate(np.random.default_rng(5), slope=0.4))
    assert isinstance(result, Fit)
    plan = result.term("plan")
    assert plan.ci_low <= 0.4 <= plan.ci_high
    assert plan.p < 0.05
    assert (result.therapists, result.clients, result.assignments) == (30, 150, 600)
    assert not result.limited_inference
    assert "clustered by therapist" in result.clustering


def test_no_effect_is_rarely_significant() -> None:
    rng = np.random.default_rng(6)
    significant = 0
    runs = 200
    for _ in range(runs):
        result = fit(_simulate(rng, slope=0.0, therapists=25))
        assert isinstance(result, Fit)
        significant += result.term("plan").p < 0.05
    # Nominal 5%; clustered errors with 25 clusters are a little liberal, never wildly so.
    assert significant / runs < 0.10


def test_few_therapists_flag_limited_inference() -> None:
    result = fit(_simulate(np.random.default_rng(7), slope=0.4, therapists=4))
    assert isinstance(result, Fit) and result.limited_inference


def test_too_few_therapists_or_no_variation_refused() -> None:
    data = _simulate(np.random.default_rng(8), slope=0.4, therapists=2)
    assert isinstance(fit(data), NoFit)
    data = _simulate(np.random.default_rng(8), slope=0.4, therapists=5).assign(plan=1.0)
    result = fit(data)
    assert isinstance(result, NoFit) and "does not vary" in result.reason


def test_rows_without_engagement_are_dropped_and_counted() -> None:
    data = _simulate(np.random.default_rng(9), slope=0.4, therapists=5)
    data.loc[:9, "engagement"] = None
    result = fit(data)
    assert isinstance(result, Fit) and result.dropped == 10 and result.assignments == len(data) - 10


def test_missing_column_is_an_error() -> None:
    with pytest.raises(ValueError):
        fit(pd.DataFrame({"plan": [1.0]}))
