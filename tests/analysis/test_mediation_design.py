"""Mediation that is not there stays unfound; mediation that is there is found (issue 16, item 2).

Pure tests: no database, no Django settings.

The simulator has no mediation at all: therapist-rated mastery does not change the outcome. With a halo,
though, a therapist who sees a client improving rates their mastery up, so a mastery averaged over the
whole course "predicts" the improvement of the whole course. That design (the old one) found an indirect
effect in 11 of these 20 null data sets; the time-ordered design must find one in no more than a binomial
tolerance at the 5% level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from compliance_sim import dataset_dir
from scipy import stats

from emotipal.analysis.compliance import analyse, load_dataset, mediation, render_html, render_text
from emotipal.analysis.compliance.mediation_design import MEDIATOR_RATER, time_ordered_mediation


def _excludes_zero(result: dict) -> bool:
    ind = result["indirect"]
    return not ind["ci_low"] <= 0.0 <= ind["ci_high"]


def _max_false_positives(runs: int, level: float = 0.05, risk: float = 0.005) -> int:
    """The largest count of rejections that a test of this level reaches with probability above `risk`."""
    return int(stats.binom.ppf(1.0 - risk, runs, level))


def test_with_halo_null_data_sets_show_no_more_indirect_effects_than_the_level(tmp_path: Path) -> None:
    runs = 20
    found = 0
    for run in range(runs):
        data = load_dataset(dataset_dir(tmp_path / f"r{run}", seed=20_000 + run, halo=0.6))
        result = time_ordered_mediation(data, resamples=400)
        assert result["n"] >= 50 and result["n_clusters"] == 3
        found += _excludes_zero(result)
    # At the 5% level 4 or more of 20 has probability 0.016, 5 or more 0.0026.
    assert found <= _max_false_positives(runs) == 4, found


def _clustered(
    rng: np.random.Generator, *, therapists: int, clients: int, a: float, b: float, between: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Engagement, mechanism and outcome with paths a and b within therapists, and therapist effects (SD
    `between`) shared by all three, which tie them together across therapists without any mediation."""
    shared = rng.normal(0.0, between, size=therapists)[np.repeat(np.arange(therapists), clients)]
    n = therapists * clients
    x = shared + rng.normal(size=n)
    m = a * x + shared + rng.normal(size=n)
    y = b * m + 0.2 * x + shared + rng.normal(size=n)
    return x, m, y, [f"t{t}" for t in np.repeat(np.arange(therapists), clients)]


def test_between_therapist_association_is_not_mediation() -> None:
    # Within every caseload engagement does drive mastery (a = 0.4), but mastery does nothing (b = 0);
    # therapists differ a lot, and the same therapists are high on all three.
    rng = np.random.default_rng(11)
    runs, found, naive = 40, 0, 0
    for run in range(runs):
        x, m, y, therapist = _clustered(rng, therapists=8, clients=12, a=0.4, b=0.0, between=1.5)
        found += _excludes_zero(mediation(x, m, y, clusters=therapist, resamples=500, seed=run))
        naive += _excludes_zero(mediation(x, m, y, resamples=500, seed=run))
    assert found <= _max_false_positives(runs), found  # 6 of 40
    # Clients treated as independent, with no therapist effect, the old analysis finds "mediation".
    assert naive >= runs // 2, naive


def test_true_mediation_is_found() -> None:
    rng = np.random.default_rng(12)
    for run in range(5):
        x, m, y, therapist = _clustered(rng, therapists=6, clients=25, a=0.5, b=0.5, between=1.0)
        result = mediation(x, m, y, clusters=therapist, resamples=1000, seed=run)
        assert result["indirect"]["ci_low"] > 0, run
        assert result["indirect"]["ci_low"] <= 0.25 <= result["indirect"]["ci_high"]
        assert result["a"]["estimate"] == pytest.approx(0.5, abs=0.25)
        assert result["bootstrap"]["scheme"] == "two-stage"
        assert result["bootstrap"]["therapist_fixed_effects"] is True


def test_the_bootstrap_resamples_therapists_then_clients() -> None:
    from emotipal.analysis.compliance.mediation import _resample_counts

    members = [np.arange(0, 4), np.arange(4, 10)]
    counts = _resample_counts(members, 10, 2000, np.random.default_rng(0), "two-stage")
    per_therapist = np.stack([counts[:, m].sum(axis=1) for m in members], axis=1)
    # Each draw of a therapist brings as many clients as the caseload holds: 0, 1 or 2 caseloads' worth.
    assert set(np.unique(per_therapist[:, 0])) <= {0, 4, 8}
    assert set(np.unique(per_therapist[:, 1])) <= {0, 6, 12}
    assert (per_therapist[:, 0] == 0).mean() == pytest.approx(0.25, abs=0.04)  # therapist 1 not drawn
    whole = _resample_counts(members, 10, 50, np.random.default_rng(0), "clusters")
    assert all(len(set(row[m])) == 1 for row in whole for m in members)  # caseloads kept whole
    with pytest.raises(ValueError, match="unknown bootstrap scheme"):
        mediation([1.0] * 10, list(range(10)), list(range(10)), clusters=["t"] * 10, scheme="pairs")


def test_the_design_names_the_rater_and_warns(tmp_path: Path) -> None:
    data = load_dataset(dataset_dir(tmp_path / "d", seed=5, halo=0.3))
    analysis = analyse(data, resamples=100)
    report = analysis.report["mediation"]
    assert report["mechanism_rater"] == MEDIATOR_RATER == "therapist"
    assert report["rater_sees_outcome"] is True
    assert "sees the client's PHQ-9 scores" in report["warning"]
    assert report["split_week"] == data.weeks // 2
    assert "weeks 1-4" in report["mechanism"]
    assert report["bootstrap"]["resampling"].startswith("therapists with replacement")
    text = render_text(analysis.report)
    assert "WARNING: The mechanism (mastery) is rated by the therapist" in text
    html = render_html(analysis)
    assert "Warning: The mechanism (mastery) is rated by the therapist" in html


def test_without_review_days_the_mediator_cannot_be_put_in_order(tmp_path: Path) -> None:
    directory = dataset_dir(tmp_path / "d", seed=5)
    reviews = (directory / "therapist_reviews.csv").read_text().splitlines()
    header = reviews[0].split(",")
    day = header.index("day")
    stripped = [",".join(c for j, c in enumerate(line.split(",")) if j != day) for line in reviews]
    (directory / "therapist_reviews.csv").write_text("\n".join(stripped) + "\n")
    result = time_ordered_mediation(load_dataset(directory), resamples=50)
    assert "cannot be put in time order" in result["error"]
