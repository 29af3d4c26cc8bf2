"""``emotipal meta``: JSON keys and values on dat.bcg, the text report, plots, and bad input (exit 2)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest
from meta_bcg_reference import load_bcg, printed, write_bcg_csv

from emotipal.analysis.meta import log_risk_ratio
from emotipal.analysis.meta.cli import main

REQUIRED = {
    "k", "method", "estimate", "se", "z", "p", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_df", "q_p",
    "pi_low", "pi_high", "fail_safe_n", "egger_z", "egger_p",
}  # fmt: skip
MODERATOR_KEYS = {"qm", "qm_df", "qm_p", "qe", "qe_df", "qe_p", "coefficients"}
COEF_KEYS = {"name", "estimate", "se", "z", "p", "ci_low", "ci_high"}
R_KEYS = {"estimate_r", "ci_low_r", "ci_high_r"}


@pytest.fixture
def bcg_csv(tmp_path):
    bcg = load_bcg()
    es = log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)
    return write_bcg_csv(tmp_path / "bcg.csv", es.yi, es.vi)


def run_json(capsys, *args):
    code = main([*map(str, args), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def run_error(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    message = out.err.strip()
    assert "\n" not in message and "Traceback" not in message
    return message


def test_json_reml_matches_metafor(capsys, bcg_csv):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi")
    assert r.keys() >= REQUIRED
    assert not R_KEYS & r.keys()
    assert r["k"] == 13 and r["method"] == "REML" and r["q_df"] == 12
    for key, text in [
        ("estimate", "-0.7145"), ("se", "0.1798"), ("z", "-3.9744"), ("ci_low", "-1.0669"),
        ("ci_high", "-0.3622"), ("tau2", "0.3132"), ("i2", "92.22"), ("h2", "12.86"), ("q", "152.2330"),
    ]:  # fmt: skip
        assert printed(r[key], text), key
    assert r["p"] < 1e-4 and r["q_p"] < 1e-4
    assert printed(math.exp(r["pi_low"]), "0.1546") and printed(math.exp(r["pi_high"]), "1.5490")
    assert r["fail_safe_n"] == 598
    assert isinstance(r["egger_z"], float) and 0 < r["egger_p"] < 1


@pytest.mark.parametrize(
    ("method", "est", "lb", "ub", "z", "i2"),
    [
        ("DL", "-0.7141", "-1.0644", "-0.3638", "-3.9952", "92.1173"),
        ("EE", "-0.4303", "-0.5097", "-0.3509", "-10.6247", "92.12"),
    ],
)
def test_json_dl_and_ee(capsys, bcg_csv, method, est, lb, ub, z, i2):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--method", method)
    assert r["method"] == method
    for key, text in [("estimate", est), ("ci_low", lb), ("ci_high", ub), ("z", z), ("i2", i2)]:
        assert printed(r[key], text), key
    if method == "EE":
        assert r["tau2"] == 0.0 and printed(r["h2"], "12.69")
        assert r["pi_low"] == pytest.approx(r["ci_low"])  # no heterogeneity in the EE model
    else:
        assert printed(r["tau2"], "0.3088")


def test_json_meta_regression(capsys, bcg_csv):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--mods", "ablat,year")
    assert r.keys() >= REQUIRED | MODERATOR_KEYS
    assert printed(r["qm"], "12.2043") and r["qm_df"] == 2 and printed(r["qm_p"], "0.0022")
    assert printed(r["qe"], "28.3251") and r["qe_df"] == 10 and printed(r["qe_p"], "0.0016")
    coefs = {c["name"]: c for c in r["coefficients"]}
    assert list(coefs) == ["intrcpt", "ablat", "year"]
    assert all(c.keys() >= COEF_KEYS for c in coefs.values())
    assert printed(coefs["ablat"]["estimate"], "-0.0280") and printed(coefs["ablat"]["p"], "0.0062")
    assert printed(coefs["intrcpt"]["ci_low"], "-60.5724")
    assert printed(r["moderator"]["tau2"], "0.1108") and printed(r["moderator"]["r2"], "64.63")
    assert r["excluded"]["count"] == 0
    assert printed(r["estimate"], "-0.7145")  # top-level keys stay those of the model without moderators


def test_json_categorical_moderator(capsys, bcg_csv):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--moderator", "alloc")
    assert REQUIRED | MODERATOR_KEYS | {"subgroups"} <= r.keys()
    assert printed(r["qm"], "1.7675") and r["qm_df"] == 2 and printed(r["qm_p"], "0.4132")
    assert printed(r["qe"], "132.3676") and r["qe_df"] == 10
    assert printed(r["qm_levels"], "15.9842") and r["qm_levels_df"] == 3
    assert set(r["subgroups"]) == {"alternate", "random", "systematic"}
    random = r["subgroups"]["random"]
    assert {"k", "estimate", "se", "ci_low", "ci_high"} <= random.keys()
    assert random["k"] == 7
    assert printed(random["estimate"], "-0.9658") and printed(random["se"], "0.2672")
    assert printed(random["ci_low"], "-1.4896") and printed(random["ci_high"], "-0.4420")
    assert [c["name"] for c in r["coefficients"]] == ["intrcpt", "allocrandom", "allocsystematic"]
    assert printed(r["coefficients"][1]["estimate"], "-0.4478")
    assert r["q_between_df"] == 2 and 0 <= r["q_between_p"] <= 1
    assert r["subgroups_separate_tau2"]["random"]["k"] == 7


def test_missing_moderator_values_are_excluded_and_reported(capsys, tmp_path):
    bcg = load_bcg()
    es = log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)
    path = write_bcg_csv(tmp_path / "gaps.csv", es.yi, es.vi, blank_ablat=(1, 4))
    r = run_json(capsys, path, "--yi", "yi", "--vi", "vi", "--mods", "ablat")
    assert r["excluded"] == {"count": 2, "indices": [1, 4], "lines": [3, 6]}
    assert r["moderator"]["k"] == 11 and r["qe_df"] == 9
    assert r["k"] == 13  # the overall model keeps every study
    main([str(path), "--yi", "yi", "--vi", "vi", "--mods", "ablat"])
    assert "2 row(s) (lines 3, 6)" in capsys.readouterr().out


def test_correlations_are_pooled_as_fisher_z(capsys, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "study,r,n,rater\nA,0.30,40,client\nB,0.12,120,therapist\nC,0.45,25,client\nD,0.22,60,therapist\n"
    )
    r = run_json(capsys, path, "--r", "r", "--n", "n", "--moderator", "rater")
    assert r.keys() >= REQUIRED | R_KEYS
    assert r["estimate_r"] == pytest.approx(math.tanh(r["estimate"]))
    assert r["ci_low_r"] == pytest.approx(math.tanh(r["ci_low"]))
    assert r["ci_high_r"] == pytest.approx(math.tanh(r["ci_high"]))
    assert r["subgroups"]["client"]["estimate_r"] == pytest.approx(
        math.tanh(r["subgroups"]["client"]["estimate"])
    )
    # DL by hand on z = atanh(r), v = 1/(n-3), as an independent check of the pipeline.
    d = run_json(capsys, path, "--r", "r", "--n", "n", "--method", "dl")
    z = [math.atanh(x) for x in (0.30, 0.12, 0.45, 0.22)]
    w = [n - 3 for n in (40, 120, 25, 60)]
    mean = sum(a * b for a, b in zip(w, z, strict=True)) / sum(w)
    q = sum(b * (a - mean) ** 2 for a, b in zip(z, w, strict=True))
    tau2 = max(0.0, (q - 3) / (sum(w) - sum(b * b for b in w) / sum(w)))
    assert d["tau2"] == pytest.approx(tau2)
    assert d["q"] == pytest.approx(q)


def test_text_output_is_a_readable_report(capsys, bcg_csv):
    assert main([str(bcg_csv), "--yi", "yi", "--vi", "vi", "--moderator", "alloc"]) == 0
    out = capsys.readouterr().out
    assert "Random-effects model (k = 13; tau^2 estimator: REML)" in out
    assert "tau^2 (estimated amount of total heterogeneity): 0.3132 (SE = 0.1664)" in out
    assert "I^2 (total heterogeneity / total variability):   92.22%" in out
    assert "Q(df = 12) = 152.2330, p < .0001" in out
    assert "-0.7145" in out and "-1.0669" in out and "-0.3622" in out
    assert "Fail-safe N (Rosenthal, alpha = .05): 598" in out
    assert "QM(df = 2) = 1.7675, p = 0.4132" in out
    assert "systematic" in out and "Q-between(df = 2)" in out
    assert max(len(line) for line in out.splitlines()[1:]) < 100  # (line 0 holds the file path)


def test_forest_and_funnel_files(capsys, bcg_csv, tmp_path):
    forest, funnel = tmp_path / "forest.svg", tmp_path / "funnel.svg"
    args = [str(bcg_csv), "--yi", "yi", "--vi", "vi", "--forest", str(forest), "--funnel", str(funnel)]
    assert main(args) == 0
    capsys.readouterr()
    for path in (forest, funnel):
        root = ET.parse(path).getroot()  # noqa: S314 - our own output, not untrusted XML
        assert root.tag.endswith("svg")
    svg_root = ET.parse(forest).getroot()  # noqa: S314 - our own output, not untrusted XML
    texts = [t.text for t in svg_root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Rosenthal et al (1960)" in texts and "Rosenthal et al (1961)" in texts  # author + year labels


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "--moderator" in capsys.readouterr().out


# --- bad input: one line on stderr, exit status 2 ---------------------------------------------------


def _csv(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_file(capsys, tmp_path):
    msg = run_error(capsys, tmp_path / "nope.csv", "--yi", "yi", "--vi", "vi")
    assert "nope.csv" in msg and "not found" in msg


def test_missing_column(capsys, bcg_csv):
    msg = run_error(capsys, bcg_csv, "--yi", "effect", "--vi", "vi")
    assert "column 'effect' not found" in msg


def test_non_numeric_value_names_line_and_column(capsys, tmp_path):
    path = _csv(tmp_path, "yi,vi\n0.1,0.01\n0.2,abc\n0.3,0.02\n")
    msg = run_error(capsys, path, "--yi", "yi", "--vi", "vi")
    assert "line 3" in msg and "column 'vi'" in msg and "'abc' is not a number" in msg


@pytest.mark.parametrize(
    ("r", "n", "needle"), [("0.3", "3", "n = 3"), ("1.0", "50", "r = 1"), ("-1.2", "50", "r = -1.2")]
)
def test_bad_correlations(capsys, tmp_path, r, n, needle):
    path = _csv(tmp_path, f"r,n\n0.2,30\n{r},{n}\n0.1,40\n")
    msg = run_error(capsys, path, "--r", "r", "--n", "n")
    assert needle in msg and "line 3" in msg


def test_non_positive_variance(capsys, tmp_path):
    path = _csv(tmp_path, "yi,vi\n0.1,0.01\n0.2,0\n")
    msg = run_error(capsys, path, "--yi", "yi", "--vi", "vi")
    assert "line 3" in msg and "must be positive" in msg


def test_missing_effect_value(capsys, tmp_path):
    path = _csv(tmp_path, "yi,vi\n0.1,0.01\n,0.02\n")
    assert "missing" in run_error(capsys, path, "--yi", "yi", "--vi", "vi")


def test_nan_text_is_not_a_number(capsys, tmp_path):
    path = _csv(tmp_path, "yi,vi\n0.1,0.01\ninf,0.02\n")
    assert "'inf' is not a number" in run_error(capsys, path, "--yi", "yi", "--vi", "vi")


@pytest.mark.parametrize("rows", ["", "0.1,0.01\n"])
def test_fewer_than_two_studies(capsys, tmp_path, rows):
    path = _csv(tmp_path, "yi,vi\n" + rows)
    assert "at least 2 studies" in run_error(capsys, path, "--yi", "yi", "--vi", "vi")


def test_moderator_with_one_level(capsys, tmp_path):
    path = _csv(tmp_path, "yi,vi,g\n0.1,0.01,a\n0.2,0.02,a\n0.3,0.02,\n")
    msg = run_error(capsys, path, "--yi", "yi", "--vi", "vi", "--moderator", "g")
    assert "'g'" in msg and "two levels" in msg


def test_non_numeric_continuous_moderator(capsys, bcg_csv):
    msg = run_error(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--mods", "alloc")
    assert "column 'alloc'" in msg and "is not a number" in msg


@pytest.mark.parametrize(
    "args",
    [
        ["--yi", "yi"],
        ["--r", "yi", "--n", "vi", "--yi", "yi", "--vi", "vi"],
        ["--yi", "yi", "--vi", "vi", "--method", "ML"],
        ["--yi", "yi", "--vi", "vi", "--moderator", "alloc", "--mods", "ablat"],
        ["--yi", "yi", "--vi", "vi", "--format", "xml"],
        [],
    ],
)
def test_usage_errors(capsys, bcg_csv, args):
    run_error(capsys, bcg_csv, *args)


def test_empty_and_unwritable_outputs(capsys, tmp_path, bcg_csv):
    empty = _csv(tmp_path, "", name="empty.csv")
    assert "empty" in run_error(capsys, empty, "--yi", "yi", "--vi", "vi")
    bad_target = tmp_path / "no-such-dir" / "f.svg"
    assert "cannot write" in run_error(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--forest", bad_target)
