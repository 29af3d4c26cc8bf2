"""The whole analysis of a data set as one JSON-ready dict, and its plain-text rendering.

The text (and the HTML report) are rendered from the dict, so every output format shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .correlation_report import DEFINITIONS as CORRELATION_DEFINITIONS
from .correlation_report import correlation_json, methods_paragraphs, render_correlation_text
from .correlations import ComplianceOutcome, compliance_outcome
from .dataset import Dataset
from .figures import weekly_panel
from .mediation import DEFAULT_RESAMPLES, DEFAULT_SEED
from .mediation_design import time_ordered_mediation
from .missing import improvement_summary, missing_summary
from .mixed import within_between_model

DEFINITIONS = {
    "dataset": "what was read: clients, clients with an improvement score, therapists, weeks",
    "truth": "simulated data only: the numbers of the simulator's truth.json (population values under "
    "'truth', this sample's under 'realised'); null for real data",
    "improvement": "the outcome: its definition, n, mean (pooled over the imputations, with its 95% CI) and "
    "SD",
    "missing": "the weekly PHQ-9 scores missing (client-weeks; after an early discharge and in treatment), "
    "the end-of-course scores missing, and how the analysis handles them",
    "definitions": "this list: what each key of the report means",
    "method": "the correlation methods in one line (the text and HTML reports state them in full)",
    **CORRELATION_DEFINITIONS,
    "mixed_model": "next week's PHQ-9 on this week's engagement, within- and between-person, random time "
    "slopes (its 'model' key says it in words)",
    "mediation": "time-ordered: engagement -> therapist-rated mastery -> later improvement (see its own keys)",
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


def _with_trajectory_truth(mixed: dict[str, Any], truth: dict[str, Any] | None) -> dict[str, Any]:
    """The simulator's truth for the model's terms, where the data set has it (truth.json)."""
    keys = ("time_slope_mean", "time_slope_sd", "lagged_within_effect")
    population = (truth or {}).get("truth") or {}
    if "error" in mixed or not all(population.get(k) is not None for k in keys):
        return mixed
    return {**mixed, "truth": {k: population[k] for k in keys}}


def analyse(data: Dataset, *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES) -> Analysis:
    """Run every part of the analysis on a loaded data set."""
    co = compliance_outcome(data, resamples=resamples, seed=seed)
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
        "definitions": DEFINITIONS,
        **correlation_json(co, data.truth),
    }
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


def truth_sentence(t: dict[str, Any]) -> str:
    """What the simulator was asked for: population values are 'truth', this sample's values 'realised'."""
    realised = t.get("realised") or {}
    parts = [
        f"Simulated data: truth r = {t.get('true_r')} within therapists for the reference figure "
        f"{t.get('reference_figure', 'objective_percentage')} (realised in this sample: "
        f"{fmt(realised.get('reference_within_r'))})",
        f"halo = {t.get('halo')}",
        f"therapist SD = {t.get('therapist_sd', 0.0)}, therapist r = {t.get('therapist_r', 0.0)}",
    ]
    return "; ".join(parts)


def render_text(r: dict[str, Any]) -> str:
    d = r["dataset"]
    out = [
        f"Compliance and outcome: {d['path']}",
        f"{d['n_clients']} clients ({d['n_clients_with_improvement']} with an improvement score), "
        f"{d['n_therapists']} therapists, {d['weeks']} weeks",
        f"Improvement: {r['improvement']['definition']}; mean {fmt(r['improvement']['mean'], 2)} "
        f"{fmt_ci(r['improvement'])}, SD {fmt(r['improvement']['sd'], 2)}",
        *render_missing_text(r["missing"]),
    ]
    if r.get("truth"):
        out.append(truth_sentence(r["truth"]))
    out += ["", *render_correlation_text(r)]
    out += ["", *render_mixed_text(r["mixed_model"]), "", *render_mediation_text(r["mediation"])]
    out += ["", "Methods (compliance and improvement):", *(f"  {p}" for p in methods_paragraphs(r))]
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
