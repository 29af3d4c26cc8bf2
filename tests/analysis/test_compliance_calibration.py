"""Calibration of the compliance-outcome inference over many simulated data sets (issue 16 item 2, issue 10 item 6).

Pure tests: no database. Each data set is simulated, written in the export format, read back and analysed
with the client bootstrap, exactly as ``emotipal analyse`` does. Two designs of REPLICATES data sets each
(60 clients, 4 weeks, fixed seeds):

* **null, with an association only between therapists** (true r 0 within every caseload, no halo, four
  therapists whose effects on engagement and on improvement are perfectly correlated, SD 1): every figure's
  within-therapist truth is exactly 0, and so are the overall mean and every moderator contrast. The old
  all-clients correlation finds an association here (the issue measured r = 0.40 [0.16, 0.59]);
* **non-null** (true r 0.3, halo 0.3, three therapists): each figure's truth is its population value
  from the simulator's Monte Carlo sample (TRUTH_CLIENTS clients; its standard error of at most ~0.016 is
  small beside the 60-client intervals' half-width of ~0.23, so it moves coverage by well under 0.5%).

Tolerances are exact binomial bounds: a correctly calibrated 95% interval covers the truth a Binomial(N,
0.95) number of times, and a correct 5% test rejects a Binomial(N, 0.05) number of times; the test accepts
the central 99.9% of that distribution. The seeds are fixed, so the outcome cannot change between runs,
and a calibrated method fails a bound with probability 0.001. With N = 200 the old "overall" pooling
(44 of 100 false positives) and the old moderator tests (0 of 300) fall far outside.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from compliance_sim import TEMPLATES
from scipy import stats

from emotipal.analysis.compliance import (
    FIGURES,
    ComplianceOutcome,
    compliance_outcome,
    correlate,
    load_dataset,
)
from emotipal.analysis.compliance.figures import MODERATORS, client_figures, improvements
from emotipal.analysis.meta import fisher_z, meta_analysis
from emotipal.analysis.simulate import NO_MISSING, population_truth, simulate_clinic, write_dataset

REPLICATES = 200
RESAMPLES = 400
# Complete scores: these designs isolate the dependence between figures and between therapists' clients;
# missing scores and their multiple imputation are tested in test_missing_data.py.
DESIGN: dict[str, Any] = {"n_clients": 60, "weeks": 4, "templates": TEMPLATES, "missing": NO_MISSING}
NULL: dict[str, Any] = {
    "true_r": 0.0,
    "halo": 0.0,
    "n_therapists": 4,
    "therapist_sd": 1.0,
    "therapist_r": 1.0,
}
NON_NULL: dict[str, Any] = {"true_r": 0.3, "halo": 0.3, "n_therapists": 3}
TRUTH_CLIENTS = 4000


def _bounds(p: float, n: int = REPLICATES) -> tuple[int, int]:
    """The central 99.9% of Binomial(n, p)."""
    return int(stats.binom.ppf(0.0005, n, p)), int(stats.binom.ppf(0.9995, n, p))


COVERAGE = _bounds(0.95)  # (179, 198) of 200
FALSE_POSITIVES = _bounds(0.05)  # (2, 21) of 200


def _replicates(root: Path, settings: dict[str, Any], first_seed: int) -> list[tuple[ComplianceOutcome, Any]]:
    """(analysis, the old all-clients Fisher CI of the objective percentage) for each data set."""
    out = []
    for i in range(REPLICATES):
        directory = root / f"d{i}"
        write_dataset(simulate_clinic(seed=first_seed + i, **DESIGN, **settings), directory)
        data = load_dataset(directory)
        co = compliance_outcome(data, resamples=RESAMPLES, seed=i)
        figure, outcome = client_figures(data)["objective_percentage"], improvements(data)
        keys = sorted(figure)
        out.append((co, correlate([figure[k] for k in keys], [outcome[k] for k in keys])))
    return out


@pytest.fixture(scope="module")
def null_runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[ComplianceOutcome, Any]]:
    return _replicates(tmp_path_factory.mktemp("null"), NULL, 300_000)


@pytest.fixture(scope="module")
def non_null_runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[ComplianceOutcome, Any]]:
    return _replicates(tmp_path_factory.mktemp("non_null"), NON_NULL, 400_000)


@pytest.fixture(scope="module")
def non_null_truth() -> dict[str, Any]:
    settings = {k: v for k, v in NON_NULL.items() if k != "n_therapists"}  # the truth is per caseload
    return population_truth(weeks=DESIGN["weeks"], **settings, n_clients=TRUTH_CLIENTS, missing=NO_MISSING)


def _covers(estimate: Any, truth: float) -> bool:
    return bool(estimate.ci_low <= truth <= estimate.ci_high)


def test_within_therapist_intervals_cover_zero_when_the_association_is_only_between_therapists(
    null_runs: list[tuple[ComplianceOutcome, Any]],
) -> None:
    for spec in FIGURES:
        covered = sum(_covers(co.figure(spec.name).corr.within, 0.0) for co, _ in null_runs)
        assert COVERAGE[0] <= covered <= COVERAGE[1], (spec.name, covered)
        # And the estimates centre on 0: the mean of 200 within-r's has an SD of about 0.13 / sqrt(200).
        mean = np.mean([co.figure(spec.name).corr.within.r for co, _ in null_runs])
        assert abs(mean) < 4 * 0.13 / math.sqrt(REPLICATES), (spec.name, mean)


def test_the_all_clients_correlation_would_find_the_between_therapist_association(
    null_runs: list[tuple[ComplianceOutcome, Any]],
) -> None:
    # What the report used to show: a Fisher CI across all clients excludes 0 in far more than 5%.
    rejected = sum(not (naive.ci_low <= 0.0 <= naive.ci_high) for _, naive in null_runs)
    assert rejected > 3 * FALSE_POSITIVES[1], rejected
    mean_all = np.mean([co.figure("objective_percentage").corr.all_clients for co, _ in null_runs])
    mean_between = np.mean([co.figure("objective_percentage").corr.between for co, _ in null_runs])
    assert mean_all > 0.2 and mean_between > 0.5  # the association is real, but between therapists


def test_pooling_figure_by_therapist_correlations_as_independent_studies_would_be_overconfident(
    null_runs: list[tuple[ComplianceOutcome, Any]],
) -> None:
    # The old "overall": a random-effects meta-analysis of every figure's correlation in every caseload,
    # as if the 32 came from separate samples. They share the clients, so its interval is far too narrow.
    rejected = 0
    for co, _ in null_runs:
        rs, ns = zip(
            *[(r, n) for f in co.figures for _t, n, r in f.corr.by_therapist if r is not None], strict=True
        )
        es = fisher_z(np.array(rs), list(ns))
        pooled = meta_analysis(es.yi, es.vi, method="REML")
        rejected += not (pooled.ci_low <= 0.0 <= pooled.ci_high)
    assert rejected > 3 * FALSE_POSITIVES[1], rejected


def test_the_overall_figure_has_its_nominal_false_positive_rate(
    null_runs: list[tuple[ComplianceOutcome, Any]],
) -> None:
    rejected = sum(not _covers(co.overall, 0.0) for co, _ in null_runs)
    assert FALSE_POSITIVES[0] <= rejected <= FALSE_POSITIVES[1], rejected
    assert all(co.overall_k == len(FIGURES) for co, _ in null_runs)


def test_moderator_tests_have_their_nominal_false_positive_rate(
    null_runs: list[tuple[ComplianceOutcome, Any]],
) -> None:
    for name in MODERATORS:
        p_values = [co.moderators.tests[name].p for co, _ in null_runs]
        assert all(p is not None for p in p_values), name
        rejected = sum(p < 0.05 for p in p_values)
        assert FALSE_POSITIVES[0] <= rejected <= FALSE_POSITIVES[1], (name, rejected)
    # The confounded split (objective records vs ratings: source and type at once) likewise.
    joint = [co.moderators.joint[0].p for co, _ in null_runs]
    assert FALSE_POSITIVES[0] <= sum(p < 0.05 for p in joint) <= FALSE_POSITIVES[1]


def test_intervals_cover_each_figures_truth_in_about_95_percent(
    non_null_runs: list[tuple[ComplianceOutcome, Any]], non_null_truth: dict[str, Any]
) -> None:
    truths = non_null_truth["figures"]
    assert non_null_truth["monte_carlo"]["max_se"] < 0.02
    # The truths differ: calibrated reference, a noisier count, and ratings inflated by the halo.
    assert truths["objective_percentage"]["within"] == pytest.approx(NON_NULL["true_r"], abs=0.04)
    assert truths["combined_retroactive"]["within"] > truths["objective_percentage"]["within"] + 0.1
    for spec in FIGURES:
        truth = truths[spec.name]["within"]
        covered = sum(_covers(co.figure(spec.name).corr.within, truth) for co, _ in non_null_runs)
        assert COVERAGE[0] <= covered <= COVERAGE[1], (spec.name, truth, covered)
    overall = non_null_truth["overall_within"]
    covered = sum(_covers(co.overall, overall) for co, _ in non_null_runs)
    assert COVERAGE[0] <= covered <= COVERAGE[1], ("overall", overall, covered)
