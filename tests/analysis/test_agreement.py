"""ICC against the published example, against psych::ICC's figures for it, and against simulated truth."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from emotipal.analysis.agreement import NotEnoughRatings, icc

DATA = Path(__file__).parent.parent / "data" / "shrout_fleiss_1979.csv"


def _shrout_fleiss() -> list[list[float]]:
    with DATA.open() as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [[float(r[f"judge{j}"]) for j in range(1, 5)] for r in rows]


def test_published_example() -> None:
    result = icc(_shrout_fleiss())
    assert (result.targets, result.raters, result.dropped) == (6, 4, 0)
    # Shrout & Fleiss (1979), Table 4.
    assert round(result.icc1.value, 2) == 0.17
    assert round(result.icc2.value, 2) == 0.29
    assert round(result.icc3.value, 2) == 0.71


def test_confidence_intervals_match_psych_icc() -> None:
    # The R package psych, ICC() on the same data (its documented example): ICC1 [-0.13, 0.72],
    # ICC2 [0.019, 0.76], ICC3 [0.34, 0.95], F = 11.03 on 5 and 15 df. pingouin is not installed and
    # statsmodels has no ICC, so these published figures are the second check.
    result = icc(_shrout_fleiss())
    assert (round(result.icc1.lower, 2), round(result.icc1.upper, 2)) == (-0.13, 0.72)
    assert (round(result.icc2.lower, 3), round(result.icc2.upper, 2)) == (0.019, 0.76)
    assert (round(result.icc3.lower, 2), round(result.icc3.upper, 2)) == (0.34, 0.95)
    assert result.icc3.f == pytest.approx(11.03, abs=0.01)
    assert (result.icc3.df1, result.icc3.df2) == (5, 15)


def test_incomplete_targets_are_dropped_and_counted() -> None:
    data: list[list[float | None]] = [list(map(float, row)) for row in _shrout_fleiss()]
    data.append([3.0, None, 4.0, 5.0])
    result = icc(data)
    assert (result.targets, result.dropped) == (6, 1)
    assert round(result.icc2.value, 2) == 0.29


def test_too_few_targets_refused() -> None:
    with pytest.raises(NotEnoughRatings):
        icc([[1, 2]])
    with pytest.raises(NotEnoughRatings):
        icc([[1, None], [2, 3]])


def _simulate(rng: np.random.Generator, n: int, k: int, target_sd: float, rater_sd: float) -> np.ndarray:
    targets = rng.normal(0, target_sd, size=(n, 1))
    raters = rng.normal(0, rater_sd, size=(1, k))
    return targets + raters + rng.normal(0, 1, size=(n, k))


def test_no_rater_variance_gives_icc2_close_to_icc3() -> None:
    rng = np.random.default_rng(1)
    values = [icc(_simulate(rng, 200, 2, 1.0, 0.0).tolist()) for _ in range(20)]
    diffs = [abs(v.icc2.value - v.icc3.value) for v in values]
    assert max(diffs) < 0.03
    # True ICC = 1 / (1 + 1) = 0.5.
    assert np.mean([v.icc2.value for v in values]) == pytest.approx(0.5, abs=0.03)


def test_rater_bias_lowers_absolute_agreement_only() -> None:
    rng = np.random.default_rng(2)
    ratings = _simulate(rng, 300, 3, 1.0, 0.0) + np.array([0.0, 1.5, 3.0])  # one mild, one harsh rater
    result = icc(ratings.tolist())
    assert result.icc3.value > result.icc2.value + 0.15


@pytest.mark.parametrize("kind", ["icc2", "icc3"])
def test_ci_coverage_is_about_95_percent(kind: str) -> None:
    rng = np.random.default_rng(3)
    target_sd, rater_sd, runs = 1.0, 0.5, 400
    # ICC(2,1) truth: s_t^2 / (s_t^2 + s_r^2 + s_e^2); ICC(3,1) truth: s_t^2 / (s_t^2 + s_e^2).
    truth = 1.0 / (1.0 + rater_sd**2 + 1.0) if kind == "icc2" else 0.5
    covered = 0
    for _ in range(runs):
        estimate = getattr(icc(_simulate(rng, 20, 3, target_sd, rater_sd).tolist()), kind)
        covered += estimate.lower <= truth <= estimate.upper
    assert 0.91 <= covered / runs <= 0.985
