"""The result of ``emotipal meta`` as one JSON-ready dict, and its readable text rendering.

The text is rendered *from* the dict, so both output formats always carry the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bias import EggerTest, egger_test, fail_safe_rosenberg, fail_safe_rosenthal
from .errors import MetaInputError
from .models import MetaResult
from .moderators import RegressionAnalysis, SeparateSubgroups, SubgroupAnalysis, SubgroupEstimate


@dataclass(frozen=True)
class Analysis:
    """Everything one run of ``emotipal meta`` computed."""

    source: str
    overall: MetaResult
    correlation: bool  # effects are Fisher's z: also report the r scale
    effect_label: str
    subgroups: SubgroupAnalysis | None = None
    separate: SeparateSubgroups | None = None
    regression: RegressionAnalysis | None = None
    lines: Sequence[int] | None = None  # CSV line of each study, to report excluded rows


def _num(x: float | None) -> float | None:
    """JSON has no NaN/Infinity: undefined values become null."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def _r(x: float | None) -> float | None:
    return None if x is None else _num(math.tanh(x))


def _egger(result: MetaResult) -> EggerTest | None:
    try:
        return egger_test(result)
    except (MetaInputError, np.linalg.LinAlgError):
        return None  # too few studies or identical standard errors: the test is undefined


def _coefficients(result: MetaResult) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "estimate": _num(c.estimate),
            "se": _num(c.se),
            "z": _num(c.z),
            "p": _num(c.p),
            "ci_low": _num(c.ci_low),
            "ci_high": _num(c.ci_high),
        }
        for c in result.coefficients
    ]


def _excluded(indices: Sequence[int], lines: Sequence[int] | None) -> dict[str, Any]:
    return {
        "count": len(indices),
        "indices": list(indices),
        "lines": [lines[i] for i in indices] if lines is not None else None,
    }


def build_report(a: Analysis) -> dict[str, Any]:
    """The JSON object: the overall model's keys first, then the moderator model's (if any)."""
    res = a.overall
    pred = res.predict()
    egger = _egger(res)
    out: dict[str, Any] = {
        "file": a.source,
        "effect": a.effect_label,
        "k": res.k,
        "method": res.method,
        "estimate": _num(res.estimate),
        "se": _num(res.se),
        "z": _num(res.z),
        "p": _num(res.pval),
        "ci_low": _num(res.ci_low),
        "ci_high": _num(res.ci_high),
        "tau2": _num(res.tau2),
        "tau2_se": _num(res.se_tau2),
        "tau": _num(res.tau),
        "i2": _num(res.i2),
        "h2": _num(res.h2),
        "q": _num(res.qe),
        "q_df": res.qe_df,
        "q_p": _num(res.qe_p),
        "pi_low": _num(pred.pi_low),
        "pi_high": _num(pred.pi_high),
        "fail_safe_n": fail_safe_rosenthal(res.yi, res.vi),
        "fail_safe_n_rosenberg": fail_safe_rosenberg(res.yi, res.vi),
        "egger_z": _num(egger.z) if egger else None,
        "egger_p": _num(egger.p) if egger else None,
        "egger_limit_estimate": _num(egger.limit_estimate) if egger else None,
    }
    if a.correlation:
        out |= {
            "estimate_r": _r(res.estimate),
            "ci_low_r": _r(res.ci_low),
            "ci_high_r": _r(res.ci_high),
            "pi_low_r": _r(pred.pi_low),
            "pi_high_r": _r(pred.pi_high),
        }
    mod_model: MetaResult | None = None
    if a.subgroups is not None:
        sub = a.subgroups
        mod_model = sub.model
        out["moderator"] = {"type": "categorical", "columns": [sub.moderator], "levels": list(sub.levels)}
        out["excluded"] = _excluded(sub.excluded, a.lines)
        out["subgroups"] = {level: _subgroup_json(s, a.correlation) for level, s in sub.subgroups.items()}
        means_qm = sub.means_model.qm
        out |= {"qm_levels": _num(means_qm.q), "qm_levels_df": means_qm.df, "qm_levels_p": _num(means_qm.p)}
    elif a.regression is not None:
        mod_model = a.regression.model
        out["moderator"] = {"type": "continuous", "columns": list(a.regression.moderators)}
        out["excluded"] = _excluded(a.regression.excluded, a.lines)
    if mod_model is not None:
        out |= {
            "qm": _num(mod_model.qm.q),
            "qm_df": mod_model.qm.df,
            "qm_p": _num(mod_model.qm.p),
            "qe": _num(mod_model.qe),
            "qe_df": mod_model.qe_df,
            "qe_p": _num(mod_model.qe_p),
            "coefficients": _coefficients(mod_model),
        }
        out["moderator"] |= {
            "k": mod_model.k,
            "tau2": _num(mod_model.tau2),
            "tau2_se": _num(mod_model.se_tau2),
            "i2": _num(mod_model.i2),
            "h2": _num(mod_model.h2),
            "r2": _num(mod_model.r2),
        }
    if a.separate is not None:
        sep = a.separate
        out["subgroups_separate_tau2"] = {
            level: _subgroup_json(s, a.correlation) for level, s in sep.subgroups.items()
        }
        out |= {
            "q_between": _num(sep.q_between.q),
            "q_between_df": sep.q_between.df,
            "q_between_p": _num(sep.q_between.p),
        }
    return out


def _subgroup_json(s: SubgroupEstimate, correlation: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "k": s.k,
        "estimate": _num(s.estimate),
        "se": _num(s.se),
        "z": _num(s.z),
        "p": _num(s.p),
        "ci_low": _num(s.ci_low),
        "ci_high": _num(s.ci_high),
    }
    if s.tau2 is not None:
        item |= {"tau2": _num(s.tau2), "i2": _num(s.i2), "q": _num(s.q), "q_df": s.q_df, "q_p": _num(s.q_p)}
    if correlation:
        item |= {"estimate_r": _r(s.estimate), "ci_low_r": _r(s.ci_low), "ci_high_r": _r(s.ci_high)}
    return item


# --- text -------------------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 4) -> str:
    return "NA" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """p-values as metafor prints them: '<.0001' below 1e-4, else four decimals."""
    if p is None:
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(headers)]
    first = [widths[0]]

    def line(cells: Sequence[str]) -> str:
        head = cells[0].ljust(first[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"  {head}  {rest}"

    return [line(headers), *(line(r) for r in rows)]


def _method_title(method: str, k: int) -> str:
    if method == "EE":
        return f"Equal-effects model (k = {k})"
    return f"Random-effects model (k = {k}; tau^2 estimator: {method})"


def _p_clause(p: float | None) -> str:
    text = fmt_p(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def render_text(r: dict[str, Any]) -> str:
    """A readable report in the spirit of metafor's printout."""
    out: list[str] = [
        f"Meta-analysis of {r['file']}",
        f"Effect sizes: {r['effect']}",
        "",
        _method_title(r["method"], r["k"]),
        "",
    ]
    if r["method"] != "EE":
        se = f" (SE = {fmt(r['tau2_se'])})" if r["tau2_se"] is not None else ""
        out += [
            f"tau^2 (estimated amount of total heterogeneity): {fmt(r['tau2'])}{se}",
            f"tau (square root of estimated tau^2 value):      {fmt(r['tau'])}",
        ]
    out += [
        f"I^2 (total heterogeneity / total variability):   {fmt(r['i2'], 2)}%",
        f"H^2 (total variability / sampling variability):  {fmt(r['h2'], 2)}",
        "",
        f"Test for heterogeneity: Q(df = {r['q_df']}) = {fmt(r['q'])}, {_p_clause(r['q_p'])}",
        "",
    ]
    headers = ["", "estimate", "se", "zval", "pval", "ci.lb", "ci.ub", "pi.lb", "pi.ub"]
    row = [
        "pooled",
        fmt(r["estimate"]),
        fmt(r["se"]),
        fmt(r["z"]),
        fmt_p(r["p"]),
        fmt(r["ci_low"]),
        fmt(r["ci_high"]),
        fmt(r["pi_low"]),
        fmt(r["pi_high"]),
    ]
    rows = [row]
    if "estimate_r" in r:
        rows.append(
            [
                "as r",
                fmt(r["estimate_r"]),
                "",
                "",
                "",
                fmt(r["ci_low_r"]),
                fmt(r["ci_high_r"]),
                fmt(r["pi_low_r"]),
                fmt(r["pi_high_r"]),
            ]
        )
    out += _table(headers, rows)
    out += ["", "Publication bias:"]
    out.append(f"  Fail-safe N (Rosenthal, alpha = .05): {r['fail_safe_n']}")
    out.append(f"  Fail-safe N (Rosenberg, alpha = .05): {r['fail_safe_n_rosenberg']}")
    if r["egger_z"] is None:
        out.append("  Egger's regression test: not computable (too few studies or equal standard errors)")
    else:
        out.append(f"  Egger's regression test: z = {fmt(r['egger_z'])}, {_p_clause(r['egger_p'])}")
    if "moderator" in r:
        out += ["", *_render_moderator(r)]
    return "\n".join(out) + "\n"


def _render_moderator(r: dict[str, Any]) -> list[str]:
    mod = r["moderator"]
    cols = ", ".join(mod["columns"])
    out = [f"Moderator analysis: {cols} ({mod['type']}; k = {mod['k']})"]
    exc = r["excluded"]
    if exc["count"]:
        where = exc["lines"] if exc["lines"] is not None else exc["indices"]
        out.append(
            f"  Left out for a missing moderator value: {exc['count']} row(s) (lines {', '.join(map(str, where))})"
        )
    if r["method"] != "EE":
        r2 = f"; R^2 = {fmt(mod['r2'], 2)}%" if mod.get("r2") is not None else ""
        out.append(
            f"  Residual heterogeneity: tau^2 = {fmt(mod['tau2'])}, I^2 = {fmt(mod['i2'], 2)}%, "
            f"H^2 = {fmt(mod['h2'], 2)}{r2}"
        )
    label = "subgroup differences" if mod["type"] == "categorical" else "moderators"
    out.append(
        f"  Test for residual heterogeneity: QE(df = {r['qe_df']}) = {fmt(r['qe'])}, {_p_clause(r['qe_p'])}"
    )
    out.append(f"  Test of {label}: QM(df = {r['qm_df']}) = {fmt(r['qm'])}, {_p_clause(r['qm_p'])}")
    out.append("")
    coef_rows = [
        [
            c["name"],
            fmt(c["estimate"]),
            fmt(c["se"]),
            fmt(c["z"]),
            fmt_p(c["p"]),
            fmt(c["ci_low"]),
            fmt(c["ci_high"]),
        ]
        for c in r["coefficients"]
    ]
    out += _table(["", "estimate", "se", "zval", "pval", "ci.lb", "ci.ub"], coef_rows)
    if "subgroups" in r:
        out += ["", "  Subgroup estimates (common tau^2):"]
        out += _subgroup_table(r["subgroups"], "estimate_r" in r)
    if "subgroups_separate_tau2" in r:
        out += ["", "  Subgroup estimates (separate tau^2 per subgroup):"]
        out += _subgroup_table(r["subgroups_separate_tau2"], "estimate_r" in r, with_tau2=True)
        out.append(
            f"  Test for subgroup differences: Q-between(df = {r['q_between_df']}) = {fmt(r['q_between'])}, "
            f"{_p_clause(r['q_between_p'])}"
        )
    return out


def _subgroup_table(
    groups: dict[str, dict[str, Any]], correlation: bool, with_tau2: bool = False
) -> list[str]:
    headers = ["", "k", "estimate", "se", "ci.lb", "ci.ub"]
    if correlation:
        headers += ["r", "r.lb", "r.ub"]
    if with_tau2:
        headers += ["tau^2", "I^2"]
    rows = []
    for level, g in groups.items():
        row = [level, str(g["k"]), fmt(g["estimate"]), fmt(g["se"]), fmt(g["ci_low"]), fmt(g["ci_high"])]
        if correlation:
            row += [fmt(g["estimate_r"]), fmt(g["ci_low_r"]), fmt(g["ci_high_r"])]
        if with_tau2:
            row += [fmt(g["tau2"]), f"{fmt(g['i2'], 2)}%"]
        rows.append(row)
    return _table(headers, rows)
