"""Per-figure pooling across therapists uses Knapp-Hartung intervals when there are few caseloads.

Each therapist's caseload is a separate sample, like a site; with 3 of them a normal-theory interval
treats the estimated tau² as known and is too narrow (see the meta-analysis coverage simulation in
tests/analysis/meta/test_meta_issue16_properties.py). Pure tests: no database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from compliance_sim import dataset_dir

from emotipal.analysis.compliance import compliance_outcome, load_dataset
from emotipal.analysis.compliance.correlations import _effects
from emotipal.analysis.meta import meta_analysis


def test_figures_pooled_over_three_caseloads_use_knapp_hartung(tmp_path: Path) -> None:
    data = load_dataset(dataset_dir(tmp_path / "d", seed=21, halo=0.2))
    co = compliance_outcome(data, moderators=False)
    pooled = [f for f in co.figures if f.pooled is not None]
    assert pooled
    for f in pooled:
        assert f.pooled.k == 3 and f.pooled.test == "knha" and f.pooled.ddf == 2
        own = [s for s in co.studies if s.figure.name == f.spec.name]
        es = _effects(own)
        z = meta_analysis(es.yi, es.vi, "REML")
        assert f.pooled.estimate == pytest.approx(z.estimate)  # same estimate, wider interval
        if f.pooled.s2w >= 1.0:
            assert f.pooled.ci_high - f.pooled.ci_low > z.ci_high - z.ci_low


def test_auto_test_follows_the_number_of_studies() -> None:
    for k, expected in [(1, "z"), (3, "knha"), (9, "knha"), (10, "z")]:
        yi = [0.1 * (i % 3) for i in range(k)]
        vi = [0.02 + 0.01 * (i % 2) for i in range(k)]
        assert meta_analysis(yi, vi, "DL", test="auto").test == expected
