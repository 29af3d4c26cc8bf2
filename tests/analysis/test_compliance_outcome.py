"""Compliance and outcome on simulated data sets with a known truth (issue 6, items 4 and 5).

Pure tests: no database, no Django settings. Each data set goes the whole way: simulated, written in the
export format, read back and analysed.

The calibration of the intervals and tests against each figure's truth, over many seeds, is in
test_compliance_calibration.py; the engine's arithmetic in test_compliance_clustered.py. Here: the
simulator's reference correlation is the analysis's, and the halo orders the figures as the literature
suspects.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from compliance_sim import clinic, dataset_dir
from scipy import stats

from emotipal.analysis.compliance import (
    FIGURES,
    AnalysisInputError,
    ComplianceOutcome,
    analyse,
    client_figures,
    compliance_outcome,
    correlate,
    improvements,
    load_dataset,
)
from emotipal.analysis.simulate import (
    NO_MISSING,
    engagement_fractions,
    observed_improvements,
    realised_correlation,
    realised_within_correlation,
)

SUBJECTIVE_CONTEMPORANEOUS = (
    "client_contemporaneous",
    "therapist_contemporaneous",
    "combined_contemporaneous",
)
RETROACTIVE = ("client_retroactive", "therapist_retroactive", "combined_retroactive")


def _figure(co: ComplianceOutcome, name: str) -> Any:
    return co.figure(name).corr.within


def test_objective_figures_match_the_simulator(tmp_path: Path) -> None:
    # On complete data: the simulator's realised quantities are defined on the complete scores.
    sim = clinic(seed=3, halo=0.4, missing=NO_MISSING)
    data = load_dataset(dataset_dir(tmp_path / "d", seed=3, halo=0.4, missing=NO_MISSING))
    figures, outcome = client_figures(data), improvements(data)
    fractions, observed = engagement_fractions(sim), observed_improvements(sim)
    assert outcome == pytest.approx(observed)
    assert figures["objective_percentage"] == pytest.approx({k: 100 * v for k, v in fractions.items()})
    co = compliance_outcome(data, resamples=20)
    # The simulator's realised reference correlation is exactly the analysis's objective figure.
    reference = co.figure("objective_percentage").corr
    assert reference.within.r == pytest.approx(realised_within_correlation(sim), abs=1e-12)
    assert reference.all_clients == pytest.approx(realised_correlation(sim), abs=1e-12)
    # Every client has a retroactive rating by both raters, so every figure covers (nearly) everyone.
    assert all(len(figures[f.name]) >= 0.9 * len(sim.clients) for f in FIGURES)


def _mean_r(runs: list[ComplianceOutcome], names: tuple[str, ...]) -> float:
    return float(np.mean([_figure(co, name).r for co in runs for name in names]))


@pytest.fixture(scope="module")
def halo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[float, list[ComplianceOutcome]]:
    root = tmp_path_factory.mktemp("halo")
    # Complete scores: the halo is the subject here (missing scores are tested in test_missing_data.py).
    return {
        halo: [
            compliance_outcome(
                load_dataset(dataset_dir(root / f"h{halo}-{seed}", seed=seed, halo=halo, missing=NO_MISSING)),
                resamples=200,
            )
            for seed in range(20_000, 20_010)
        ]
        for halo in (0.0, 0.6)
    }


def test_with_halo_retroactive_beats_contemporaneous_beats_objective(
    halo_runs: dict[float, list[ComplianceOutcome]],
) -> None:
    runs = halo_runs[0.6]
    objective = _mean_r(runs, ("objective_percentage",))
    contemporaneous = _mean_r(runs, SUBJECTIVE_CONTEMPORANEOUS)
    retroactive = _mean_r(runs, RETROACTIVE)
    # About 0.5, 0.6 and 0.7 (the SD of each mean over 10 runs is below 0.04).
    assert retroactive > contemporaneous + 0.05
    assert contemporaneous > objective + 0.05

    # The same in the moderator analysis: by timing, and in the split that is both source and type.
    def level(by: str, name: str) -> float:
        return float(np.mean([co.moderators.tests[by].levels[name].r for co in runs]))

    assert level("timing", "retroactive") > level("timing", "contemporaneous") + 0.1
    for source in ("client", "therapist", "combined"):
        assert level("source", source) > level("source", "objective") + 0.05
    # The timing test (ratings matched on source) picks it up in most data sets ...
    assert np.mean([co.moderators.tests["timing"].p < 0.05 for co in runs]) >= 0.5
    # ... and the ratings-vs-records difference is reported as source and type together, never as either.
    for co in runs:
        (joint,) = co.moderators.joint
        assert joint.moderators == ("source", "type")
        assert joint.matched_on == ("timing",)
        assert co.moderators.tests["type"].differences[0].level == "percentage"  # count vs percentage only


def test_without_halo_subjective_figures_are_not_larger(
    halo_runs: dict[float, list[ComplianceOutcome]],
) -> None:
    runs = halo_runs[0.0]
    objective = _mean_r(runs, ("objective_percentage",))
    # Ratings are noisier measures of the same practice: if anything a little smaller.
    assert _mean_r(runs, SUBJECTIVE_CONTEMPORANEOUS) < objective + 0.05
    assert _mean_r(runs, RETROACTIVE) < objective + 0.05
    # The objective figures do not depend on the halo at all.
    for plain, biased in zip(runs, halo_runs[0.6], strict=True):
        assert plain.figure("objective_percentage").corr == biased.figure("objective_percentage").corr


def test_correlation_and_its_fisher_ci() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    y = 0.4 * x + rng.normal(size=50)
    c = correlate(list(x), list(y))
    ref = stats.pearsonr(x, y)
    assert c.r == pytest.approx(ref.statistic)
    assert c.p == pytest.approx(ref.pvalue)
    half = 1.959964 / math.sqrt(47)
    assert c.ci_low == pytest.approx(math.tanh(math.atanh(ref.statistic) - half), abs=1e-6)
    assert c.ci_high == pytest.approx(math.tanh(math.atanh(ref.statistic) + half), abs=1e-6)
    assert correlate([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]).r is None  # a constant
    assert correlate([1.0, 2.0], [2.0, 1.0]).r is None  # too few
    assert correlate([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]).ci_low is None  # n = 3: no Fisher CI


def test_a_figure_with_too_few_clients_is_left_out_and_reported(tmp_path: Path) -> None:
    # Retroactive ratings for five clients only: 5 clients in up to 3 caseloads is below n - T >= 4.
    directory = dataset_dir(tmp_path / "d", seed=5)
    retro = directory / "retro_ratings.csv"
    lines = retro.read_text().splitlines()
    keep = sorted({line.split(",")[0] for line in lines[1:]})[:5]
    retro.write_text("\n".join([lines[0], *(ln for ln in lines[1:] if ln.split(",")[0] in keep)]) + "\n")
    data = load_dataset(directory)
    co = compliance_outcome(data, resamples=50)
    for name in RETROACTIVE:
        corr = co.figure(name).corr
        assert corr.within.r is None and corr.reason is not None and "too few clients" in corr.reason
    assert len(co.correlations.names) == len(FIGURES) - len(RETROACTIVE)
    # Without retroactive figures there is no timing contrast to test, and the report says so.
    timing = co.moderators.tests["timing"]
    assert timing.p is None and timing.reason == "every figure with a value has the same timing"
    report = analyse(data, resamples=50).report
    assert [f["reason"] is not None for f in report["figures"]].count(True) == len(RETROACTIVE)
    assert report["moderators"]["timing"]["tested"] is False


def test_too_few_clients_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError, match="at least 2 clients"):
        compliance_outcome(load_dataset(dataset_dir(tmp_path / "one", n_clients=1, n_therapists=1, seed=1)))
    with pytest.raises(AnalysisInputError, match="no compliance figure can be correlated"):
        compliance_outcome(load_dataset(dataset_dir(tmp_path / "six", n_clients=6, n_therapists=3, seed=1)))
