"""Compliance and outcome on simulated data sets with a known truth (issue 6, items 4 and 5).

Pure tests: no database, no Django settings. Each data set goes the whole way: simulated, written in the
export format, read back and analysed.

What "the truth" is for the coverage test
-----------------------------------------
The simulator's `true_r` (R) is the correlation between two *latent* quantities: a client's engagement
and their improvement. The analysis cannot see them. It sees the share of planned practices submitted
(engagement turned into a 0..1 propensity, then a chance process week by week) and the observed
improvement (first minus last PHQ-9 score, each with measurement error of SD 2 and rounded to whole
points). Both are noisy versions of the latents, so their population correlation is attenuated: roughly
R * corr(objective share, latent engagement) * corr(observed, true improvement) = 0.5 * 0.85 * 0.72,
about 0.3 rather than 0.5. A 95% CI from 60 clients therefore should - and does - miss R much more often
than 5% of the time; what it should cover in 95% of data sets is the population correlation of the two
*observed* quantities. That value has no simple closed form (the probit link, the binomial practice noise,
discharges and the 0..27 bounds of the PHQ-9 all play a part), so the test estimates it from one large
independent simulation (3000 clients, its own seed; the standard error of that estimate is about 0.017,
small beside the half-width of a 60-client CI, about 0.23). Per client, the simulator's
`realised_correlation` uses exactly the analysis's definitions (submitted entries / planned practices;
week-0 minus last-week PHQ-9), which `test_objective_figures_match_the_simulator` pins down.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from compliance_sim import SMALL, TEMPLATES, clinic, dataset_dir
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
from emotipal.analysis.meta import fisher_z, meta_analysis
from emotipal.analysis.simulate import (
    NO_MISSING,
    engagement_fractions,
    observed_improvements,
    realised_correlation,
    simulate_clinic,
)

RUNS = 40
SUBJECTIVE_CONTEMPORANEOUS = (
    "client_contemporaneous",
    "therapist_contemporaneous",
    "combined_contemporaneous",
)
RETROACTIVE = ("client_retroactive", "therapist_retroactive", "combined_retroactive")


def _figure(co: ComplianceOutcome, name: str) -> Any:
    return next(f for f in co.figures if f.spec.name == name)


@pytest.fixture(scope="module")
def observed_truth() -> float:
    """The population correlation of objective share and observed improvement (see the module docstring)."""
    big = simulate_clinic(templates=TEMPLATES, **{**SMALL, "n_clients": 3000}, seed=987_654, halo=0.0)
    return realised_correlation(big)


def test_objective_figures_match_the_simulator(tmp_path: Path) -> None:
    # On complete data: the simulator's realised quantities are defined on the complete scores.
    sim = clinic(seed=3, halo=0.4, missing=NO_MISSING)
    data = load_dataset(dataset_dir(tmp_path / "d", seed=3, halo=0.4, missing=NO_MISSING))
    figures, outcome = client_figures(data), improvements(data)
    fractions, observed = engagement_fractions(sim), observed_improvements(sim)
    assert outcome == pytest.approx(observed)
    assert figures["objective_percentage"] == pytest.approx({k: 100 * v for k, v in fractions.items()})
    co = compliance_outcome(data, moderators=False)
    assert _figure(co, "objective_percentage").corr.r == pytest.approx(realised_correlation(sim), abs=1e-12)
    # Every client has a retroactive rating by both raters, so every figure covers (nearly) everyone.
    assert all(len(figures[f.name]) >= 0.9 * len(sim.clients) for f in FIGURES)


def test_with_no_halo_the_ci_covers_the_true_correlation_in_about_95_percent(
    tmp_path: Path, observed_truth: float
) -> None:
    true_r = SMALL["true_r"]
    # The target is the attenuated correlation of the observed quantities, well below R.
    assert 0.2 < observed_truth < true_r - 0.1
    covered = pooled_covered = covered_r = 0
    estimates, latent = [], []
    for run in range(RUNS):
        data = load_dataset(dataset_dir(tmp_path / f"run{run}", seed=10_000 + run, halo=0.0))
        co = compliance_outcome(data, moderators=False)
        fig = _figure(co, "objective_percentage")
        assert fig.corr.n == SMALL["n_clients"]
        covered += fig.corr.ci_low <= observed_truth <= fig.corr.ci_high
        covered_r += fig.corr.ci_low <= true_r <= fig.corr.ci_high
        # Pooled across the three therapists (random effects, REML) it must cover the same truth.
        pooled = fig.pooled
        assert pooled is not None and pooled.k == SMALL["n_therapists"]
        pooled_covered += math.tanh(pooled.ci_low) <= observed_truth <= math.tanh(pooled.ci_high)
        estimates.append(fig.corr.r)
        assert data.truth is not None
        latent.append(data.truth["latent_r"])  # the simulator's latent_correlation of this data set
    # Expected about 38 of 40 (binomial SD about 1.4); 32 or fewer would be a real miscalibration.
    assert covered >= 0.8 * RUNS, covered
    assert pooled_covered >= 0.8 * RUNS, pooled_covered
    # The estimates centre on the attenuated truth, not on R ...
    assert abs(np.mean(estimates) - observed_truth) < 0.06
    assert covered_r < covered
    # ... while the latents themselves do centre on R (sample SD of their mean about 0.015).
    assert abs(np.mean(latent) - true_r) < 0.06


def _mean_r(runs: list[ComplianceOutcome], names: tuple[str, ...]) -> float:
    return float(np.mean([_figure(co, name).corr.r for co in runs for name in names]))


@pytest.fixture(scope="module")
def halo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[float, list[ComplianceOutcome]]:
    root = tmp_path_factory.mktemp("halo")
    return {
        halo: [
            compliance_outcome(load_dataset(dataset_dir(root / f"h{halo}-{seed}", seed=seed, halo=halo)))
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
    # About 0.3, 0.45 and 0.6 (the SD of each mean over 10 runs is below 0.04).
    assert retroactive > contemporaneous + 0.05
    assert contemporaneous > objective + 0.05

    # The same in the moderator analysis: by timing and by source.
    def pooled(by: str, level: str) -> float:
        return float(np.mean([math.tanh(co.moderators[by].subgroups[level].estimate) for co in runs]))

    assert pooled("timing", "retroactive") > pooled("timing", "contemporaneous") + 0.1
    for source in ("client", "therapist", "combined"):
        assert pooled("source", source) > pooled("source", "objective") + 0.1
    # The timing moderator test picks it up in most data sets.
    assert np.mean([co.moderators["timing"].qm.p < 0.05 for co in runs]) >= 0.5


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
        assert _figure(plain, "objective_percentage").corr == _figure(biased, "objective_percentage").corr


def test_pooling_uses_the_meta_analysis_engine(halo_runs: dict[float, list[ComplianceOutcome]]) -> None:
    co = halo_runs[0.6][0]
    assert len(co.studies) == len(FIGURES) * SMALL["n_therapists"]
    es = fisher_z(np.array([s.corr.r for s in co.studies], dtype=float), [s.corr.n for s in co.studies])
    reference = meta_analysis(es.yi, es.vi, method="REML")
    assert co.overall.estimate == pytest.approx(reference.estimate)
    assert co.overall.tau2 == pytest.approx(reference.tau2)
    for name, sub in co.moderators.items():
        assert sum(s.k for s in sub.subgroups.values()) == co.overall.k
        assert sub.qm.df == len(sub.levels) - 1, name
    for fig in co.figures:
        own = [s for s in co.studies if s.figure.name == fig.spec.name]
        es = fisher_z(np.array([s.corr.r for s in own], dtype=float), [s.corr.n for s in own])
        assert fig.pooled is not None
        assert fig.pooled.estimate == pytest.approx(meta_analysis(es.yi, es.vi).estimate)


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


def test_small_caseloads_are_left_out_and_reported(tmp_path: Path) -> None:
    # Fourteen clients over four therapists: caseloads of 4, 4, 3 and 3; three cannot give a Fisher-z study.
    data = load_dataset(dataset_dir(tmp_path / "d", n_clients=14, n_therapists=4, seed=5))
    co = compliance_outcome(data)
    assert len(co.studies) + len(co.skipped) == len(FIGURES) * 4
    caseload = {t: sum(c.therapist_key == t for c in data.clients) for t in data.therapists}
    assert sorted(caseload.values()) == [3, 3, 4, 4]
    small = {s.therapist for s in co.skipped if s.reason == "fewer than 4 clients with both values"}
    assert {t for t, n in caseload.items() if n < 4} <= small
    assert all(s.n < 4 for s in co.skipped if s.reason.startswith("fewer"))
    assert all(s.corr.n == 4 for s in co.studies)
    report = analyse(data, resamples=50).report
    assert len(report["skipped_studies"]) == len(co.skipped)


def test_too_few_clients_or_studies_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError, match="at least 2 clients"):
        compliance_outcome(load_dataset(dataset_dir(tmp_path / "one", n_clients=1, n_therapists=1, seed=1)))
    with pytest.raises(AnalysisInputError, match="at least 2 studies"):
        compliance_outcome(load_dataset(dataset_dir(tmp_path / "three", n_clients=3, n_therapists=1, seed=1)))
