"""The parts of the ``emotipal meta`` report beyond the pooled estimate: the tau² interval, publication
bias (fail-safe N, Egger's and the rank-correlation test, trim and fill) and the influence diagnostics.

Each part is a JSON-ready dict built from a fitted model, and a text rendering of that dict.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bias import (
    egger_test,
    fail_safe_rosenberg,
    fail_safe_rosenthal,
    orwin,
    rank_correlation_test,
)
from .errors import MetaInputError
from .heterogeneity import tau2_ci
from .influence import influence, leave_one_out, leave_one_out_fits
from .models import MetaResult
from .trimfill import trim_and_fill


def num(x: float | None) -> float | None:
    """JSON has no NaN/Infinity: undefined values become null."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def fmt(x: float | None, digits: int = 4) -> str:
    return "NA" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """p-values as metafor prints them: '<.0001' below 1e-4, else four decimals."""
    if p is None:
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


def p_clause(p: float | None) -> str:
    text = fmt_p(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


@dataclass(frozen=True)
class BiasOptions:
    """What the user asked for: Orwin's target, and the side and estimator of trim and fill."""

    orwin_target: float | None = None
    trimfill_side: str | None = None
    trimfill_estimator: str = "L0"


# --- heterogeneity interval ----------------------------------------------------------------------------


def tau2_interval_json(res: MetaResult) -> dict[str, Any] | None:
    """Q-profile CIs for tau², tau, I² and H² (None for an equal-effects model or too few studies)."""
    if res.method == "EE" or res.k - res.p < 1:
        return None
    ci = tau2_ci(res)
    return {
        "method": "Q-profile",
        "level": ci.level,
        "tau2": [num(ci.tau2_low), num(ci.tau2_high)],
        "tau": [num(ci.tau_low), num(ci.tau_high)],
        "i2": [num(ci.i2_low), num(ci.i2_high)],
        "h2": [num(ci.h2_low), num(ci.h2_high)],
        "null_set": ci.null_set,
    }


def render_tau2_interval(r: dict[str, Any]) -> list[str]:
    ci = r.get("tau2_ci")
    if ci is None:
        return []
    pct = round(100 * ci["level"])
    rows = [
        ("tau^2", r["tau2"], ci["tau2"]),
        ("tau", r["tau"], ci["tau"]),
        ("I^2(%)", r["i2"], ci["i2"]),
        ("H^2", r["h2"], ci["h2"]),
    ]
    out = [f"{pct}% confidence intervals for the heterogeneity (Q-profile method):"]
    out += [f"  {name:<7} {fmt(est):>9}  [{fmt(lo)}, {fmt(hi)}]" for name, est, (lo, hi) in rows]
    if ci["null_set"]:
        out.append("  (Q is below the lower chi-square quantile even at tau^2 = 0: the interval is empty)")
    return out


# --- publication bias --------------------------------------------------------------------------------


def bias_json(res: MetaResult, options: BiasOptions) -> dict[str, Any]:
    """Fail-safe N (Rosenthal, Rosenberg, Orwin), Egger's test, the rank-correlation test, trim and fill."""
    out: dict[str, Any] = {
        "fail_safe_n": fail_safe_rosenthal(res.yi, res.vi),
        "fail_safe_n_rosenberg": fail_safe_rosenberg(res.yi, res.vi),
    }
    o = orwin(res.yi, res.vi, options.orwin_target)
    out["fail_safe_n_orwin"] = {
        "n": num(o.n),
        "target": num(o.target),
        "average": num(o.average),
        "weighted": o.weighted,
    }
    try:
        egger = egger_test(res)
        out |= {
            "egger_z": num(egger.z),
            "egger_p": num(egger.p),
            "egger_limit_estimate": num(egger.limit_estimate),
        }
    except (MetaInputError, np.linalg.LinAlgError):
        out |= {"egger_z": None, "egger_p": None, "egger_limit_estimate": None}
    try:
        rank = rank_correlation_test(res.yi, res.vi)
        out |= {"rank_tau": num(rank.tau), "rank_p": num(rank.p)}
    except MetaInputError:
        out |= {"rank_tau": None, "rank_p": None}
    out["trim_fill"] = _trim_fill_json(res, options)
    return out


def _trim_fill_json(res: MetaResult, options: BiasOptions) -> dict[str, Any] | None:
    try:
        tf = trim_and_fill(res, side=options.trimfill_side, estimator=options.trimfill_estimator)
    except (MetaInputError, np.linalg.LinAlgError):
        return None
    m = tf.model
    return {
        "k0": tf.k0,
        "se_k0": num(tf.se_k0),
        "side": tf.side,
        "estimator": tf.estimator,
        "p_k0": num(tf.p_k0),
        "k": m.k,
        "estimate": num(m.estimate),
        "se": num(m.se),
        "ci_low": num(m.ci_low),
        "ci_high": num(m.ci_high),
        "tau2": num(m.tau2),
        "filled_yi": [num(y) for y in tf.filled_yi],
        "filled_vi": [num(v) for v in tf.filled_vi],
    }


def render_bias(r: dict[str, Any]) -> list[str]:
    out = ["Publication bias:"]
    out.append(f"  Fail-safe N (Rosenthal, alpha = .05): {r['fail_safe_n']}")
    out.append(f"  Fail-safe N (Rosenberg, alpha = .05): {r['fail_safe_n_rosenberg']}")
    o = r["fail_safe_n_orwin"]
    n = "inf" if o["n"] is None else str(int(o["n"]))
    weights = "inverse-variance weighted" if o["weighted"] else "unweighted"
    out.append(
        f"  Fail-safe N (Orwin, {weights} average {fmt(o['average'])}, target {fmt(o['target'])}): {n}"
    )
    if r["egger_z"] is None:
        out.append("  Egger's regression test: not computable (too few studies or equal standard errors)")
    else:
        stat = "t" if r.get("test") == "knha" else "z"
        out.append(f"  Egger's regression test: {stat} = {fmt(r['egger_z'])}, {p_clause(r['egger_p'])}")
    if r["rank_tau"] is None:
        out.append("  Rank correlation test: not computable (fewer than 3 studies)")
    else:
        out.append(
            f"  Rank correlation test (Begg & Mazumdar): Kendall's tau = {fmt(r['rank_tau'])}, "
            f"{p_clause(r['rank_p'])}"
        )
    tf = r["trim_fill"]
    if tf is None:
        out.append("  Trim and fill: not computable (too few studies or all standard errors equal)")
    else:
        test = f", test of no missing studies {p_clause(tf['p_k0'])}" if tf["p_k0"] is not None else ""
        out.append(
            f"  Trim and fill ({tf['estimator']}): {tf['k0']} missing on the {tf['side']} side "
            f"(SE = {fmt(tf['se_k0'])}{test})"
        )
        if tf["k0"]:
            out.append(
                f"    with the filled-in studies (k = {tf['k']}): estimate {fmt(tf['estimate'])} "
                f"[{fmt(tf['ci_low'])}, {fmt(tf['ci_high'])}]"
            )
            out.append("    (a sensitivity analysis for missing studies, not a corrected estimate)")
    return out


# --- influence ---------------------------------------------------------------------------------------


def influence_json(res: MetaResult, labels: Sequence[str]) -> dict[str, Any]:
    """Leave-one-out rows (models without moderators) and metafor's case diagnostics, labelled by study."""
    out: dict[str, Any] = {}
    fits = leave_one_out_fits(res)  # the k leave-one-out fits, shared by both tables
    if res.p == 1:
        out["leave_one_out"] = [
            {
                "study": labels[row.left_out],
                "estimate": num(row.estimate),
                "se": num(row.se),
                "p": num(row.p),
                "ci_low": num(row.ci_low),
                "ci_high": num(row.ci_high),
                "q": num(row.q),
                "tau2": num(row.tau2),
                "i2": num(row.i2),
            }
            for row in leave_one_out(res, fits)
        ]
    out["influence"] = [
        {
            "study": labels[d.index],
            "rstudent": num(d.rstudent),
            "dffits": num(d.dffits),
            "cook_d": num(d.cook_d),
            "cov_r": num(d.cov_r),
            "tau2_del": num(d.tau2_del),
            "qe_del": num(d.qe_del),
            "hat": num(d.hat),
            "weight": num(d.weight),
            "dfbetas": [num(x) for x in d.dfbetas],
            "influential": d.influential,
        }
        for d in influence(res, fits)
    ]
    return out


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        head = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"  {head}  {rest}"

    return [line(headers), *(line(r) for r in rows)]


def render_influence(r: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "leave_one_out" in r:
        out += ["", "Leave-one-out analysis (each study left out in turn):"]
        rows = [
            [
                f"-{x['study']}",
                fmt(x["estimate"]),
                fmt(x["se"]),
                fmt_p(x["p"]),
                fmt(x["ci_low"]),
                fmt(x["ci_high"]),
                fmt(x["q"]),
                fmt(x["tau2"]),
                fmt(x["i2"], 2),
            ]
            for x in r["leave_one_out"]
        ]
        out += _table(["", "estimate", "se", "pval", "ci.lb", "ci.ub", "Q", "tau^2", "I^2"], rows)
    if "influence" in r:
        out += ["", "Influence diagnostics (* = influential by metafor's criteria):"]
        rows = [
            [
                x["study"],
                fmt(x["rstudent"]),
                fmt(x["dffits"]),
                fmt(x["cook_d"]),
                fmt(x["cov_r"]),
                fmt(x["tau2_del"]),
                fmt(x["qe_del"]),
                fmt(x["hat"]),
                fmt(x["weight"]),
                "*" if x["influential"] else "",
            ]
            for x in r["influence"]
        ]
        headers = ["", "rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight", "inf"]
        out += _table(headers, rows)
    return out


# --- methods ---------------------------------------------------------------------------------------


def methods_paragraph(r: dict[str, Any]) -> str:
    """What was done, in sentences a researcher can adapt for a methods section."""
    if r["method"] == "EE":
        model = "an equal-effects model with inverse-variance weights"
    else:
        estimator = {"REML": "restricted maximum likelihood", "DL": "the DerSimonian-Laird estimator",
                     "PM": "the Paule-Mandel estimator"}[r["method"]]  # fmt: skip
        model = f"a random-effects model with the between-study variance tau^2 estimated by {estimator}"
    parts = [f"Effect sizes ({r['effect']}) were pooled in {model}."]
    if r.get("test") == "knha":
        parts.append(
            "Tests and confidence intervals used the Knapp-Hartung method: the variance of the pooled "
            f"estimate was scaled by the weighted residual variance and compared with a t distribution on "
            f"{r['df']} degrees of freedom."
        )
    else:
        parts.append("Tests were Wald z tests with normal-theory confidence intervals.")
    parts.append(
        "Heterogeneity was tested with Cochran's Q and described by I^2 and H^2"
        + (
            ", with a confidence interval for tau^2 by the Q-profile method (Viechtbauer, 2007)."
            if r.get("tau2_ci")
            else "."
        )
    )
    parts.append(
        "Funnel-plot asymmetry was examined with Egger's regression test (the standard error added as a "
        "moderator), Begg and Mazumdar's rank-correlation test and Duval and Tweedie's trim and fill "
        "(side of the missing studies from the sign of Egger's slope, as in metafor); fail-safe numbers "
        "follow Rosenthal, Rosenberg and Orwin."
    )
    if "influence" in r:
        parts.append(
            "Each study was left out in turn, and influence was assessed with externally studentised "
            "residuals, DFFITS, Cook's distances, covariance ratios and leverage (Viechtbauer & Cheung, 2010)."
        )
    mod = r.get("moderator")
    if mod is not None and mod["type"] == "categorical":
        parts.append(
            f"Differences between the levels of '{mod['columns'][0]}' were tested in a mixed-effects model "
            "with a common tau^2 (omnibus QM test), and with separate random-effects models per level "
            "compared by Q-between."
        )
    elif mod is not None:
        parts.append(
            f"The moderators {', '.join(mod['columns'])} were entered in a mixed-effects meta-regression."
        )
    if mod is not None and r.get("excluded", {}).get("count"):
        parts.append("Studies with an empty moderator cell were left out of the moderator model only.")
    return " ".join(parts)


def render_methods(r: dict[str, Any]) -> list[str]:
    text = r.get("methods") or methods_paragraph(r)
    return ["Methods:", *textwrap.wrap(text, width=96, initial_indent="  ", subsequent_indent="  ")]
