"""``emotipal meta`` additions of issue 16: moderator levels named "none" and --missing, effect sizes
computed from 2x2 tables and group statistics, Knapp-Hartung, the tau² interval, the bias section and
the influence diagnostics - checked against metafor's published figures where there are any."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from meta_bcg_reference import load_bcg, printed, write_bcg_csv
from meta_reference_data import load_table, molloy, write_csv

from emotipal.analysis.meta import hedges_g, log_risk_ratio, meta_analysis
from emotipal.analysis.meta.cli import main


def run_json(capsys, *args):
    code = main([*map(str, args), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def run_error(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    message = out.err.strip()
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.fixture
def bcg_csv(tmp_path):
    bcg = load_bcg()
    es = log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)
    return write_bcg_csv(tmp_path / "bcg.csv", es.yi, es.vi)


@pytest.fixture
def molloy_csv(tmp_path):
    return write_csv(tmp_path / "molloy.csv", molloy())


# --- "none" is a level; --missing names the spellings of no value -----------------------------------


def test_molloy_moderator_controls_fits_both_levels(capsys, molloy_csv):
    r = run_json(capsys, molloy_csv, "--r", "ri", "--n", "ni", "--moderator", "controls")
    assert r["moderator"]["levels"] == ["multiple", "none"]
    assert r["excluded"]["count"] == 0 and r["moderator"]["k"] == 16
    assert {level: g["k"] for level, g in r["subgroups"].items()} == {"multiple": 3, "none": 13}
    assert r["qm_df"] == 1 and r["qm"] > 10  # the studies controlling for covariates correlate less
    assert r["subgroups"]["none"]["estimate_r"] > r["subgroups"]["multiple"]["estimate_r"]
    # The overall model is metadat's published one.
    assert printed(r["estimate"], "0.1499") and printed(r["tau2"], "0.0081") and printed(r["q"], "38.1595")
    main([str(molloy_csv), "--r", "ri", "--n", "ni", "--moderator", "controls"])
    text = capsys.readouterr().out
    assert "  none      13 " in text and "  multiple   3 " in text


def test_missing_option_names_tokens_for_no_value(capsys, molloy_csv, tmp_path):
    # Saying that "none" means missing leaves one level: an input error that says so.
    msg = run_error(
        capsys, molloy_csv, "--r", "ri", "--n", "ni", "--moderator", "controls", "--missing", "none"
    )
    assert "two levels" in msg and "'multiple'" in msg
    # A continuous moderator with an "NA" cell: not a number unless --missing NA says it is missing.
    rows = molloy()
    rows[2]["meanage"] = "NA"
    path = write_csv(tmp_path / "gaps.csv", rows)
    msg = run_error(capsys, path, "--r", "ri", "--n", "ni", "--mods", "meanage")
    assert "line 4" in msg and "'NA' is not a number" in msg and "--missing 'NA'" in msg
    r = run_json(capsys, path, "--r", "ri", "--n", "ni", "--mods", "meanage", "--missing", "NA")
    assert r["excluded"]["indices"] == [2] and r["moderator"]["k"] == 15


# --- effect sizes from 2x2 tables and group statistics ---------------------------------------------


def test_measure_rr_from_the_2x2_table_matches_metafor(capsys, bcg_csv):
    cells = ["--ai", "tpos", "--bi", "tneg", "--ci", "cpos", "--di", "cneg"]
    r = run_json(capsys, bcg_csv, "--measure", "RR", *cells)
    for key, text in [("estimate", "-0.7145"), ("se", "0.1798"), ("tau2", "0.3132"), ("q", "152.2330")]:
        assert printed(r[key], text), key
    # predict(res, transf=exp) in metafor-bcg.md
    for key, text in [
        ("estimate_exp", "0.4894"), ("ci_low_exp", "0.3441"), ("ci_high_exp", "0.6962"),
        ("pi_low_exp", "0.1546"), ("pi_high_exp", "1.5490"),
    ]:  # fmt: skip
        assert printed(r[key], text), key
    assert "log risk ratio" in r["effect"]


@pytest.mark.parametrize(
    ("measure", "method", "est", "lb", "ub", "z"),
    [
        ("OR", "DL", "-0.7474", "-1.1242", "-0.3706", "-3.8873"),
        ("OR", "EE", "-0.4361", "-0.5190", "-0.3533", "-10.3190"),
        ("RD", "EE", "-0.0009", "-0.0014", "-0.0005", "-4.0448"),
    ],
)
def test_measures_or_and_rd_match_metafor(capsys, bcg_csv, measure, method, est, lb, ub, z):
    cells = ["--ai", "tpos", "--bi", "tneg", "--ci", "cpos", "--di", "cneg"]
    r = run_json(capsys, bcg_csv, "--measure", measure, *cells, "--method", method)
    assert printed(r["estimate"], est) and printed(r["ci_low"], lb) and printed(r["ci_high"], ub)
    assert printed(r["z"], z)
    assert ("estimate_exp" in r) == (measure == "OR")


def test_measure_smd_from_group_statistics(capsys, tmp_path):
    path = tmp_path / "smd.csv"
    path.write_text(
        "study,m1,s1,n1,m2,s2,n2\n"
        "A,10.2,3.1,25,8.9,2.8,24\nB,11.0,4.0,40,9.5,3.6,42\nC,9.7,2.5,18,9.9,2.9,20\nD,12.3,3.3,60,10.1,3.5,58\n"
    )
    cols = ["--m1i", "m1", "--sd1i", "s1", "--n1i", "n1", "--m2i", "m2", "--sd2i", "s2", "--n2i", "n2"]
    r = run_json(capsys, path, "--measure", "SMD", *cols)
    es = hedges_g([10.2, 11.0, 9.7, 12.3], [3.1, 4.0, 2.5, 3.3], [25, 40, 18, 60],
                  [8.9, 9.5, 9.9, 10.1], [2.8, 3.6, 2.9, 3.5], [24, 42, 20, 58])  # fmt: skip
    res = meta_analysis(es.yi, es.vi)
    assert r["estimate"] == pytest.approx(res.estimate) and r["tau2"] == pytest.approx(res.tau2)
    assert "Hedges' g" in r["effect"] and "estimate_exp" not in r


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--ai", "tpos", "--bi", "tneg", "--ci", "cpos", "--di", "cneg"], "--measure OR, RR or RD"),
        (
            ["--measure", "SMD", "--ai", "tpos", "--bi", "tneg", "--ci", "cpos", "--di", "cneg"],
            "OR, RR or RD",
        ),
        (["--measure", "RR", "--ai", "tpos", "--bi", "tneg", "--ci", "cpos"], "--di"),
        (["--measure", "RR", "--yi", "yi", "--vi", "vi"], "--measure goes with"),
        (["--yi", "yi", "--vi", "vi", "--ai", "tpos"], "one way only"),
        (["--yi", "yi", "--vi", "vi", "--test", "t"], "invalid choice"),
    ],
)
def test_effect_usage_errors(capsys, bcg_csv, args, needle):
    assert needle in run_error(capsys, bcg_csv, *args)


def test_bad_counts_name_line_and_column(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,d\n4,119,11,128\n6,-3,29,274\n")
    msg = run_error(capsys, path, "--measure", "OR", "--ai", "a", "--bi", "b", "--ci", "c", "--di", "d")
    assert "line 3" in msg and "column 'b'" in msg and "count" in msg
    path.write_text("a,b,c,d\n4,119,11,128\n6,2.5,29,274\n")
    msg = run_error(capsys, path, "--measure", "OR", "--ai", "a", "--bi", "b", "--ci", "c", "--di", "d")
    assert "line 3" in msg and "2.5" in msg


# --- Knapp-Hartung, tau² interval, bias and influence ----------------------------------------------


def test_knapp_hartung_in_the_cli_matches_raudenbush(capsys, tmp_path):
    path = write_csv(tmp_path / "r.csv", load_table("dat.raudenbush1985.txt"))
    r = run_json(capsys, path, "--yi", "yi", "--vi", "vi", "--test", "knha")
    assert r["test"] == "knha" and r["df"] == 18 and "z" not in r
    assert "Knapp-Hartung method" in r["methods"] and "t distribution on 18 degrees" in r["methods"]
    for key, text in [("estimate", "0.0837"), ("se", "0.0616"), ("t", "1.3593"), ("ci_low", "-0.0457"),
                      ("ci_high", "0.2131")]:  # fmt: skip
        assert printed(r[key], text), key
    main([str(path), "--yi", "yi", "--vi", "vi", "--test", "knha", "--moderator", "setting"])
    text = capsys.readouterr().out
    assert "tval" in text and "Knapp-Hartung" in text and "F(df1 = 1, df2 = 17)" in text


def test_json_heterogeneity_interval_bias_and_trim_and_fill(capsys, bcg_csv):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi")
    assert r["test"] == "z"
    ci = r["tau2_ci"]
    assert ci["method"] == "Q-profile" and not ci["null_set"]
    assert ci["tau2"][0] == pytest.approx(0.1197, abs=2e-4) and ci["tau2"][1] == pytest.approx(
        1.1115, abs=2e-4
    )
    assert printed(r["rank_tau"], "0.0256") and printed(r["rank_p"], "0.9524")
    tf = r["trim_fill"]
    assert (tf["k0"], tf["side"], tf["k"]) == (1, "right", 14) and printed(tf["estimate"], "-0.6571")
    assert r["fail_safe_n_orwin"] == {"n": 13, "target": pytest.approx(-0.2151, abs=1e-4),
                                      "average": pytest.approx(-0.4303, abs=1e-4), "weighted": True}  # fmt: skip
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--method", "EE", "--trimfill-estimator", "R0",
                 "--orwin-target", repr(math.log(0.95)))  # fmt: skip
    assert r["tau2_ci"] is None  # no tau² in an equal-effects model
    assert r["fail_safe_n_orwin"]["n"] == 97
    assert (r["trim_fill"]["k0"], r["trim_fill"]["estimator"]) == (4, "R0")
    assert printed(r["trim_fill"]["p_k0"], "0.0312")
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--trimfill-side", "left")
    assert r["trim_fill"]["side"] == "left"


def test_influence_option(capsys, bcg_csv):
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--influence")
    assert len(r["leave_one_out"]) == len(r["influence"]) == 13
    first = r["leave_one_out"][0]
    assert first["study"] == "Aronson (1948)" and printed(first["estimate"], "-0.7071")
    assert printed(r["influence"][0]["rstudent"], "-0.2181") and r["influence"][0]["influential"] is False
    assert "leave_one_out" not in run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi")
    r = run_json(capsys, bcg_csv, "--yi", "yi", "--vi", "vi", "--mods", "ablat", "--influence")
    assert len(r["influence"]) == 13  # the overall model's diagnostics; no moderators in it


def test_text_report_has_the_new_sections(capsys, bcg_csv):
    assert main([str(bcg_csv), "--yi", "yi", "--vi", "vi", "--influence"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "95% confidence intervals for the heterogeneity (Q-profile method):",
        "Fail-safe N (Orwin, inverse-variance weighted average -0.4303, target -0.2151): 13",
        "Rank correlation test (Begg & Mazumdar): Kendall's tau = 0.0256, p = 0.9524",
        "Trim and fill (L0): 1 missing on the right side (SE = 2.4528)",
        "Leave-one-out analysis",
        "Influence diagnostics",
        "Methods:",
    ):
        assert needle in out, needle
    assert "by the Q-profile method (Viechtbauer, 2007)" in " ".join(out.split())  # the wrapped paragraph
    assert max(len(line) for line in out.splitlines()[1:]) < 110


def test_ratio_forest_plot(capsys, bcg_csv, tmp_path):
    forest = tmp_path / "f.svg"
    cells = ["--ai", "tpos", "--bi", "tneg", "--ci", "cpos", "--di", "cneg"]
    assert main([str(bcg_csv), "--measure", "RR", *cells, "--forest", str(forest)]) == 0
    capsys.readouterr()
    assert "Risk ratio" in Path(forest).read_text()
