"""The whole analysis of a data set as one JSON-ready dict, and its plain-text rendering.

The text (and the HTML report) are rendered from the dict, so every output format shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from emotipal.analysis.meta import MetaResult, SubgroupAnalysis

from .correlations import METHOD, ComplianceOutcome, Correlation, compliance_outcome, level_order
from .dataset import Dataset
from .figures import MODERATORS, weekly_panel
from .mediation import DEFAULT_RESAMPLES, DEFAULT_SEED
from .mediation_design import time_ordered_mediation
from .missing import improvement_summary, missing_summary
from .mixed import within_between_model

DEFINITIONS = {
    "study": "one compliance figure within one therapist's caseload: the correlation across that "
    "therapist's clients between the figure and improvement, analysed as Fisher's z with variance 1/(n - 3)",
    "figures": "per compliance figure: the correlation across all clients (r, Fisher-z CI) and the "
    "random-effects pool of that figure's studies across therapists (pooled)",
    "overall": "the random-effects pooled correlation over all studies (every figure and therapist)",
    "by_source/by_type/by_timing": "per level of the moderator, its pooled correlation from a mixed-effects "
    "model with that moderator alone and a common tau^2; moderators[name].qm tests that the levels differ",
    "r, ci_low, ci_high": "on the correlation scale (pooled on Fisher's z and transformed back); k = studies",
}


@dataclass(frozen=True)
class Analysis:
    data: Dataset
    outcome: ComplianceOutcome
    report: dict[str, Any]


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _r(z: float | None) -> float | None:
    return None if z is None else _num(math.tanh(z))


def _corr_json(c: Correlation) -> dict[str, Any]:
    return {"r": _num(c.r), "ci_low": _num(c.ci_low), "ci_high": _num(c.ci_high), "n": c.n, "p": _num(c.p)}


def _pooled_json(res: MetaResult) -> dict[str, Any]:
    return {
        "r": _r(res.estimate),
        "ci_low": _r(res.ci_low),
        "ci_high": _r(res.ci_high),
        "k": res.k,
        "tau2": _num(res.tau2),
        "i2": _num(res.i2),
    }


def _overall_json(res: MetaResult) -> dict[str, Any]:
    pred = res.predict()
    return {
        **_pooled_json(res),
        "method": res.method,
        "estimate_z": _num(res.estimate),
        "se_z": _num(res.se),
        "p": _num(res.pval),
        "q": _num(res.qe),
        "q_df": res.qe_df,
        "q_p": _num(res.qe_p),
        "pi_low": _r(pred.pi_low),
        "pi_high": _r(pred.pi_high),
    }


def _levels_json(name: str, sub: SubgroupAnalysis) -> dict[str, dict[str, Any]]:
    out = {}
    for level in level_order(name, list(sub.subgroups)):
        s = sub.subgroups[level]
        out[level] = {"r": _r(s.estimate), "ci_low": _r(s.ci_low), "ci_high": _r(s.ci_high), "k": s.k}
    return out


def _moderator_json(sub: SubgroupAnalysis) -> dict[str, Any]:
    m = sub.model
    return {
        "qm": _num(m.qm.q),
        "qm_df": m.qm.df,
        "qm_p": _num(m.qm.p),
        "qe": _num(m.qe),
        "qe_df": m.qe_df,
        "qe_p": _num(m.qe_p),
        "tau2": _num(m.tau2),
        "k": m.k,
    }


def _with_trajectory_truth(mixed: dict[str, Any], truth: dict[str, Any] | None) -> dict[str, Any]:
    """The simulator's truth for the model's terms, where the data set has it (truth.json)."""
    keys = ("time_slope_mean", "time_slope_sd", "lagged_within_effect")
    if "error" in mixed or not truth or not all(k in truth for k in keys):
        return mixed
    return {**mixed, "truth": {k: truth[k] for k in keys}}


def analyse(data: Dataset, *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES) -> Analysis:
    """Run every part of the analysis on a loaded data set."""
    co = compliance_outcome(data)
    report: dict[str, Any] = {
        "dataset": {
            "path": data.path,
            "n_clients": len(data.clients),
            "n_clients_with_improvement": co.n_clients,
            "n_therapists": len(data.therapists),
            "weeks": data.weeks,
        },
        "truth": data.truth,
        "improvement": improvement_summary(data),
        "missing": missing_summary(data),
        "method": f"random-effects meta-analysis of Fisher's z, tau^2 by {METHOD}",
        "definitions": DEFINITIONS,
        "overall": _overall_json(co.overall),
    }
    for name in MODERATORS:
        report[f"by_{name}"] = _levels_json(name, co.moderators[name])
    report["moderators"] = {name: _moderator_json(co.moderators[name]) for name in MODERATORS}
    report["figures"] = [
        {
            "name": f.spec.name,
            "label": f.spec.label,
            "source": f.spec.source,
            "type": f.spec.type,
            "timing": f.spec.timing,
            **_corr_json(f.corr),
            "pooled": _pooled_json(f.pooled) if f.pooled is not None else None,
        }
        for f in co.figures
    ]
    report["studies"] = [
        {
            "figure": s.figure.name,
            "therapist": s.therapist,
            "source": s.figure.source,
            "type": s.figure.type,
            "timing": s.figure.timing,
            **_corr_json(s.corr),
        }
        for s in co.studies
    ]
    report["skipped_studies"] = [
        {"figure": s.figure, "therapist": s.therapist, "n": s.n, "reason": s.reason} for s in co.skipped
    ]
    report["mixed_model"] = _with_trajectory_truth(within_between_model(weekly_panel(data)), data.truth)
    report["mediation"] = time_ordered_mediation(data, seed=seed, resamples=resamples)
    return Analysis(data, co, report)


# --- text --------------------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "NA"
    return "<.001" if p < 0.001 else f"{p:.3f}"


def p_clause(p: float | None) -> str:
    """'p = 0.034' or 'p < .001'."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def fmt_ci(item: dict[str, Any], low: str = "ci_low", high: str = "ci_high") -> str:
    if item.get(low) is None or item.get(high) is None:
        return "NA"
    return f"[{item[low]:.2f}, {item[high]:.2f}]"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"  {first}  {rest}".rstrip()

    return [line(headers), *(line(r) for r in rows)]


def level_rows(levels: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[lev, str(v["k"]), fmt(v["r"]), fmt_ci(v)] for lev, v in levels.items()]


def render_text(r: dict[str, Any]) -> str:
    d, ov = r["dataset"], r["overall"]
    out = [
        f"Compliance and outcome: {d['path']}",
        f"{d['n_clients']} clients ({d['n_clients_with_improvement']} with an improvement score), "
        f"{d['n_therapists']} therapists, {d['weeks']} weeks",
        f"Improvement: {r['improvement']['definition']}; mean {fmt(r['improvement']['mean'], 2)} "
        f"{fmt_ci(r['improvement'])}, SD {fmt(r['improvement']['sd'], 2)}",
        *render_missing_text(r["missing"]),
    ]
    if r.get("truth"):
        t = r["truth"]
        out.append(
            "Simulated data: "
            + ", ".join(f"{k} = {t[k]}" for k in ("true_r", "halo", "realised_r", "latent_r") if k in t)
        )
    out += ["", "Correlation of each compliance figure with improvement (all clients; Fisher-z 95% CI):"]
    rows = []
    for f in r["figures"]:
        pooled = f["pooled"] or {}
        rows.append(
            [
                f["name"],
                f["source"],
                f["type"],
                f["timing"],
                str(f["n"]),
                fmt(f["r"]),
                fmt_ci(f),
                fmt_p(f["p"]),
                fmt(pooled.get("r")),
                fmt_ci(pooled) if pooled else "NA",
                str(pooled.get("k", 0)),
            ]
        )
    headers = ["figure", "source", "type", "timing", "n", "r", "95% CI", "p", "pooled r", "pooled CI", "k"]
    out += _table(headers, rows)
    out += [
        "",
        f"Overall ({r['method']}; k = {ov['k']} figure-by-therapist studies): r = {fmt(ov['r'])} "
        f"{fmt_ci(ov)}, tau^2 = {fmt(ov['tau2'], 4)}, I^2 = {fmt(ov['i2'], 1)}%, "
        f"Q({ov['q_df']}) = {fmt(ov['q'], 2)}, {p_clause(ov['q_p'])}",
    ]
    for name in MODERATORS:
        m = r["moderators"][name]
        out += [
            "",
            f"By {name}: QM({m['qm_df']}) = {fmt(m['qm'], 2)}, {p_clause(m['qm_p'])}",
            *_table([name, "k", "r", "95% CI"], level_rows(r[f"by_{name}"])),
        ]
    if r["skipped_studies"]:
        out += ["", f"Left out: {len(r['skipped_studies'])} figure-by-therapist studies"]
        out += [
            f"  {s['figure']} / {s['therapist']} (n = {s['n']}): {s['reason']}" for s in r["skipped_studies"]
        ]
    out += ["", *render_mixed_text(r["mixed_model"]), "", *render_mediation_text(r["mediation"])]
    return "\n".join(out) + "\n"


def render_mixed_text(m: dict[str, Any]) -> list[str]:
    head = (
        "Mixed model: next week's PHQ-9 on this week's practice (within- and between-person), random slopes"
    )
    if "error" in m:
        return [head, f"  not computed: {m['error']}"]
    rows = [
        [name, fmt(c["estimate"]), fmt(c["se"]), fmt_ci(c), fmt_p(c["p"])]
        for name, c in m["coefficients"].items()
    ]
    slope = m["random_slope_test"] or {"lr": None, "p": None}
    return [
        head,
        f"  {m['model']}",
        f"  {m['n_observations']} client-weeks of {m['n_clients']} clients; engagement per {m['engagement_unit']}",
        *_table(["term", "estimate", "se", "95% CI", "p"], rows),
        f"  random intercept variance {fmt(m['random_intercept_variance'])}, random slope SD "
        f"{fmt(m['random_slope_sd'])} per week (LR = {fmt(slope['lr'], 2)}, {p_clause(slope['p'])}), "
        f"residual variance {fmt(m['residual_variance'])}, converged: {'yes' if m['converged'] else 'no'}",
        *_mixed_truth_text(m.get("truth")),
    ]


def _mixed_truth_text(t: dict[str, Any] | None) -> list[str]:
    if not t:
        return []
    return [
        f"  Simulated truth: mean time slope {fmt(t['time_slope_mean'])} per week (SD {fmt(t['time_slope_sd'])} "
        f"across clients), lagged within-person effect {fmt(t['lagged_within_effect'])} per 10 points"
    ]


def render_missing_text(m: dict[str, Any]) -> list[str]:
    return [
        f"Missing weekly PHQ-9: {m['missing']} of {m['client_weeks']} client-weeks "
        f"({100 * m['share_missing']:.1f}%; {m['missing_after_discharge']} after an early discharge, "
        f"{m['missing_in_treatment']} in treatment); end-of-course score missing for "
        f"{m['clients_end_score_missing']} of {m['clients']} clients. Handling: {m['handling']}",
    ]


def render_mediation_text(m: dict[str, Any]) -> list[str]:
    head = f"Mediation ({m.get('design', 'time-ordered')}): engagement -> {m.get('mechanism_rater', '')}-rated mastery -> later improvement"
    if "error" in m:
        return [head, f"  not computed: {m['error']}"]
    ind, boot = m["indirect"], m["bootstrap"]
    rows = [
        [name, fmt(m[name]["estimate"]), fmt(m[name]["se"]), fmt_ci(m[name]), fmt_p(m[name]["p"])]
        for name in ("a", "b", "c_prime", "c")
    ]
    return [
        head,
        f"  engagement: {m['engagement']}",
        f"  mechanism: {m['mechanism']}",
        f"  outcome: {m['outcome']}; covariates: {m['covariates']}",
        f"  n = {m['n']} clients of {m['n_clusters']} therapists, {m['imputations']} imputations",
        *_table(["path", "estimate", "se", "95% CI", "p"], rows),
        f"  indirect effect a*b = {fmt(ind['estimate'])}, {round(100 * ind['level'])}% CI {fmt_ci(ind)} "
        f"({boot['method']} bootstrap resampling {boot['resampling']}, {boot['resamples']} resamples, "
        f"seed {boot['seed']})",
        f"  WARNING: {m['warning']}",
    ]
