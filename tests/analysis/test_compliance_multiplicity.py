"""The table of compliance figures gives Holm-adjusted p-values beside the figures' own (issue: a multiplicity
correction for the table of figures)."""

from __future__ import annotations

from pathlib import Path

from compliance_sim import dataset_dir
from statsmodels.stats.multitest import multipletests

from emotipal.analysis.compliance import load_dataset
from emotipal.analysis.compliance.correlation_report import figure_rows
from emotipal.analysis.compliance.report import analyse


def test_each_figure_carries_its_holm_adjusted_p(tmp_path: Path) -> None:
    report = analyse(load_dataset(dataset_dir(tmp_path / "d", seed=5, true_r=0.3)), resamples=60).report
    figures = report["figures"]
    tested = [f for f in figures if f["p"] is not None]
    assert len(tested) >= 3
    _, expected, _, _ = multipletests([f["p"] for f in tested], method="holm")
    for f, holm in zip(tested, expected, strict=True):
        assert abs(f["p_holm"] - holm) < 1e-12 and f["p_holm"] >= f["p"]
    assert all(f["p_holm"] is None for f in figures if f["p"] is None)
    headers, rows = figure_rows(report)
    column = headers.index("p Holm")
    assert [row[column] for row in rows if row[headers.index("p")] != "NA"] != []
    assert "figures[].p_holm" in report["definitions"]
