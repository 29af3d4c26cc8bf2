"""The result of ``emotipal meta`` as one JSON-ready dict, and its readable text rendering.

The text is rendered *from* the dict, so both output formats always carry the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import MetaResult
from .moderators import RegressionAnalysis, SeparateSubgroups, SubgroupAnalysis, SubgroupEstimate
from .report_sections import (
    BiasOptions,
    bias_json,
    fmt,
    fmt_p,
    influence_json,
    methods_paragraph,
    num,
    p_clause,
    render_bias,
    render_influence,
    render_methods,
    render_tau2_interval,
    tau2_interval_json,
)

# How the pooled effects are shown besides their analysis scale: Fisher's z also as r, log ratios also
# exponentiated (as ratios), anything else as it is.
SCALES: tuple[str, ...] = ("plain", "z", "log")


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
    ratio: bool = False  # effects are log odds or risk ratios: also report them exponentiated
    bias: BiasOptions = field(default_factory=BiasOptions)
    labels: Sequence[str] | None = None  # study labels: with them, the influence diagnostics are reported


# Kept as module names used by earlier callers.
_num = num


def _r(x: float | None) -> float | None:
    return None if x is None else num(math.tanh(x))


def _exp(x: float | None) -> float | None:
    if x is None:
        return None
    try:
        return num(math.exp(x))
    except OverflowError:
        return None


def _stat(res: MetaResult) -> str:
    """The name of the coefficient test statistic in the JSON and the table headings."""
    return "t" if res.test == "knha" else "z"


def _coefficients(result: MetaResult) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "estimate": _num(c.estimate),
            "se": _num(c.se),
            _stat(result): _num(c.z),
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


def _test_json(res: MetaResult) -> dict[str, Any]:
    """How the pooled effect was tested: z, or Knapp-Hartung t on k - p df."""
    if res.test == "knha":
        return {"test": "knha", "df": res.ddf}
    return {"test": "z"}


def _back_transformed(a: Analysis, res: MetaResult) -> dict[str, Any]:
    pred = res.predict()
    values = {
        "estimate": res.estimate,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "pi_low": pred.pi_low,
        "pi_high": pred.pi_high,
    }
    if a.correlation:
        return {f"{key}_r": _r(v) for key, v in values.items()}
    if a.ratio:
        return {f"{key}_exp": _exp(v) for key, v in values.items()}
    return {}


def build_report(a: Analysis) -> dict[str, Any]:
    """The JSON object: the overall model's keys first, then the moderator model's (if any)."""
    res = a.overall
    pred = res.predict()
    out: dict[str, Any] = {
        "file": a.source,
        "effect": a.effect_label,
        "k": res.k,
        "method": res.method,
        **_test_json(res),
        "estimate": _num(res.estimate),
        "se": _num(res.se),
        _stat(res): _num(res.z),
        "p": _num(res.pval),
        "ci_low": _num(res.ci_low),
        "ci_high": _num(res.ci_high),
        "tau2": _num(res.tau2),
        "tau2_se": _num(res.se_tau2),
        "tau": _num(res.tau),
        "i2": _num(res.i2),
        "h2": _num(res.h2),
        "tau2_ci": tau2_interval_json(res),
        "q": _num(res.qe),
        "q_df": res.qe_df,
        "q_p": _num(res.qe_p),
        "pi_low": _num(pred.pi_low),
        "pi_high": _num(pred.pi_high),
        **bias_json(res, a.bias),
        **_back_transformed(a, res),
    }
    if a.labels is not None:
        out |= influence_json(res, a.labels)
    mod_model: MetaResult | None = None
    if a.subgroups is not None:
        sub = a.subgroups
        mod_model = sub.model
        out["moderator"] = {"type": "categorical", "columns": [sub.moderator], "levels": list(sub.levels)}
        out["excluded"] = _excluded(sub.excluded, a.lines)
        out["subgroups"] = {level: _subgroup_json(s, a) for level, s in sub.subgroups.items()}
        means_qm = sub.means_model.qm
        out |= {"qm_levels": _num(means_qm.q), "qm_levels_df": means_qm.df, "qm_levels_p": _num(means_qm.p)}
        if means_qm.df2 is not None:
            out["qm_levels_df2"] = means_qm.df2
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
        if mod_model.qm.df2 is not None:  # Knapp-Hartung: QM is an F statistic
            out["qm_df2"] = mod_model.qm.df2
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
        out["subgroups_separate_tau2"] = {level: _subgroup_json(s, a) for level, s in sep.subgroups.items()}
        out |= {
            "q_between": _num(sep.q_between.q),
            "q_between_df": sep.q_between.df,
            "q_between_p": _num(sep.q_between.p),
        }
    out["methods"] = methods_paragraph(out)
    return out


def _subgroup_json(s: SubgroupEstimate, a: Analysis) -> dict[str, Any]:
    item: dict[str, Any] = {
        "k": s.k,
        "estimate": _num(s.estimate),
        "se": _num(s.se),
        _stat(a.overall): _num(s.z),
        "p": _num(s.p),
        "ci_low": _num(s.ci_low),
        "ci_high": _num(s.ci_high),
    }
    if s.tau2 is not None:
        item |= {"tau2": _num(s.tau2), "i2": _num(s.i2), "q": _num(s.q), "q_df": s.q_df, "q_p": _num(s.q_p)}
    if a.correlation:
        item |= {"estimate_r": _r(s.estimate), "ci_low_r": _r(s.ci_low), "ci_high_r": _r(s.ci_high)}
    elif a.ratio:
        item |= {
            "estimate_exp": _exp(s.estimate),
            "ci_low_exp": _exp(s.ci_low),
            "ci_high_exp": _exp(s.ci_high),
        }
    return item


# --- text -------------------------------------------------------------------------------------------


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


_p_clause = p_clause


def _stat_name(r: dict[str, Any]) -> str:
    return "t" if r.get("test") == "knha" else "z"


def _back_row(r: dict[str, Any]) -> list[str] | None:
    suffix = "_r" if "estimate_r" in r else "_exp" if "estimate_exp" in r else None
    if suffix is None:
        return None
    label = "as r" if suffix == "_r" else "as ratio"
    keys = ("estimate", "", "", "", "ci_low", "ci_high", "pi_low", "pi_high")
    return [label, *(fmt(r[k + suffix]) if k else "" for k in keys)]


def render_text(r: dict[str, Any]) -> str:
    """A readable report in the spirit of metafor's printout."""
    stat = _stat_name(r)
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
    if r.get("test") == "knha":
        out += [
            f"Knapp-Hartung adjustment: t tests and CIs on {r['df']} df (the variance of the estimate is scaled",
            "by the weighted residual variance; the prediction interval uses the same t quantile).",
            "",
        ]
    headers = ["", "estimate", "se", f"{stat}val", "pval", "ci.lb", "ci.ub", "pi.lb", "pi.ub"]
    row = [
        "pooled",
        fmt(r["estimate"]),
        fmt(r["se"]),
        fmt(r[stat]),
        fmt_p(r["p"]),
        fmt(r["ci_low"]),
        fmt(r["ci_high"]),
        fmt(r["pi_low"]),
        fmt(r["pi_high"]),
    ]
    back = _back_row(r)
    out += _table(headers, [row] if back is None else [row, back])
    interval = render_tau2_interval(r)
    if interval:
        out += ["", *interval]
    out += ["", *render_bias(r)]
    out += render_influence(r)
    if "moderator" in r:
        out += ["", *_render_moderator(r)]
    out += ["", *render_methods(r)]
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
    if "qm_df2" in r:
        qm = f"F(df1 = {r['qm_df']}, df2 = {r['qm_df2']}) = {fmt(r['qm'])}"
    else:
        qm = f"QM(df = {r['qm_df']}) = {fmt(r['qm'])}"
    out.append(f"  Test of {label}: {qm}, {_p_clause(r['qm_p'])}")
    out.append("")
    stat = _stat_name(r)
    coef_rows = [
        [
            c["name"],
            fmt(c["estimate"]),
            fmt(c["se"]),
            fmt(c[stat]),
            fmt_p(c["p"]),
            fmt(c["ci_low"]),
            fmt(c["ci_high"]),
        ]
        for c in r["coefficients"]
    ]
    out += _table(["", "estimate", "se", f"{stat}val", "pval", "ci.lb", "ci.ub"], coef_rows)
    back = "_r" if "estimate_r" in r else "_exp" if "estimate_exp" in r else None
    if "subgroups" in r:
        out += ["", "  Subgroup estimates (common tau^2):"]
        out += _subgroup_table(r["subgroups"], back)
    if "subgroups_separate_tau2" in r:
        out += ["", "  Subgroup estimates (separate tau^2 per subgroup):"]
        out += _subgroup_table(r["subgroups_separate_tau2"], back, with_tau2=True)
        out.append(
            f"  Test for subgroup differences: Q-between(df = {r['q_between_df']}) = {fmt(r['q_between'])}, "
            f"{_p_clause(r['q_between_p'])}"
        )
    return out


def _subgroup_table(
    groups: dict[str, dict[str, Any]], back: str | None, with_tau2: bool = False
) -> list[str]:
    headers = ["", "k", "estimate", "se", "ci.lb", "ci.ub"]
    if back == "_r":
        headers += ["r", "r.lb", "r.ub"]
    elif back == "_exp":
        headers += ["ratio", "ratio.lb", "ratio.ub"]
    if with_tau2:
        headers += ["tau^2", "I^2"]
    rows = []
    for level, g in groups.items():
        row = [level, str(g["k"]), fmt(g["estimate"]), fmt(g["se"]), fmt(g["ci_low"]), fmt(g["ci_high"])]
        if back is not None:
            row += [fmt(g[f"estimate{back}"]), fmt(g[f"ci_low{back}"]), fmt(g[f"ci_high{back}"])]
        if with_tau2:
            row += [fmt(g["tau2"]), f"{fmt(g['i2'], 2)}%"]
        rows.append(row)
    return _table(headers, rows)
