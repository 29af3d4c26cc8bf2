"""The whole analysis of a data set as one JSON-ready dict, and its plain-text rendering.

The text (and the HTML report) are rendered from the dict, so every output format shows the same numbers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .correlation_report import DEFINITIONS as CORRELATION_DEFINITIONS
from .correlation_report import correlation_json, methods_paragraphs, render_correlation_text
from .correlations import ComplianceOutcome, compliance_outcome
from .dataset import Dataset
from .figures import client_figures, improvements, mean_mastery, weekly_panel
from .mediation import DEFAULT_RESAMPLES, DEFAULT_SEED, mediation
from .mixed import UNIT, within_between_model

IMPROVEMENT_DEFINITION = "first minus last PHQ-9 score (by week); positive = improved"
DEFINITIONS = {
    "dataset": "what was read: clients, clients with an improvement score, therapists, weeks",
    "truth": "simulated data only: the numbers of the simulator's truth.json (population values under "
    "'truth', this sample's under 'realised'); null for real data",
    "improvement": "the outcome: its definition, n, mean and SD",
    "definitions": "this list: what each key of the report means",
    "method": "the correlation methods in one line (the text and HTML reports state them in full)",
    **CORRELATION_DEFINITIONS,
    "mixed_model": "weekly PHQ-9 on weekly engagement, within- and between-person (see its own keys)",
    "mediation": "engagement -> mechanism -> improvement (see its own keys)",
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


def _mediation_json(data: Dataset, seed: int, resamples: int) -> dict[str, Any]:
    engagement = client_figures(data)["objective_percentage"]
    mechanism, outcome = mean_mastery(data), improvements(data)
    keys = [c.key for c in data.clients if c.key in engagement and c.key in mechanism and c.key in outcome]
    result = mediation(
        [engagement[k] / UNIT for k in keys],
        [mechanism[k] for k in keys],
        [outcome[k] for k in keys],
        seed=seed,
        resamples=resamples,
    )
    return {
        "engagement": f"planned practices done over the course, per {UNIT:g} percentage points",
        "mechanism": "therapist-rated mastery (0-4), mean over the client's therapist reviews",
        "outcome": f"improvement: {IMPROVEMENT_DEFINITION}",
        **result,
    }


def analyse(data: Dataset, *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES) -> Analysis:
    """Run every part of the analysis on a loaded data set."""
    co = compliance_outcome(data, resamples=resamples, seed=seed)
    outcome = list(improvements(data).values())
    report: dict[str, Any] = {
        "dataset": {
            "path": data.path,
            "n_clients": len(data.clients),
            "n_clients_with_improvement": co.n_clients,
            "n_therapists": len(data.therapists),
            "weeks": data.weeks,
        },
        "truth": data.truth,
        "improvement": {
            "definition": IMPROVEMENT_DEFINITION,
            "n": len(outcome),
            "mean": _num(statistics.fmean(outcome)),
            "sd": _num(statistics.stdev(outcome)) if len(outcome) > 1 else None,
        },
        "definitions": DEFINITIONS,
        **correlation_json(co, data.truth),
    }
    report["mixed_model"] = within_between_model(weekly_panel(data))
    report["mediation"] = _mediation_json(data, seed, resamples)
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
        f"Improvement: {r['improvement']['definition']}; mean {fmt(r['improvement']['mean'], 2)}, "
        f"SD {fmt(r['improvement']['sd'], 2)}",
    ]
    if r.get("truth"):
        out.append(truth_sentence(r["truth"]))
    out += ["", *render_correlation_text(r)]
    out += ["", *render_mixed_text(r["mixed_model"]), "", *render_mediation_text(r["mediation"])]
    out += ["", "Methods (compliance and improvement):", *(f"  {p}" for p in methods_paragraphs(r))]
    return "\n".join(out) + "\n"


def render_mixed_text(m: dict[str, Any]) -> list[str]:
    head = "Mixed model: weekly PHQ-9 on weekly engagement (within- and between-person), random intercept"
    if "error" in m:
        return [head, f"  not computed: {m['error']}"]
    rows = [
        [name, fmt(c["estimate"]), fmt(c["se"]), fmt_ci(c), fmt_p(c["p"])]
        for name, c in m["coefficients"].items()
    ]
    return [
        head,
        f"  {m['n_observations']} client-weeks of {m['n_clients']} clients; engagement per {m['engagement_unit']}",
        *_table(["term", "estimate", "se", "95% CI", "p"], rows),
        f"  random intercept variance {fmt(m['random_intercept_variance'])}, residual variance "
        f"{fmt(m['residual_variance'])}, converged: {'yes' if m['converged'] else 'no'}",
    ]


def render_mediation_text(m: dict[str, Any]) -> list[str]:
    head = "Mediation: engagement -> therapist-rated mastery -> improvement"
    if "error" in m:
        return [head, f"  not computed: {m['error']}"]
    ind, boot = m["indirect"], m["bootstrap"]
    rows = [
        [name, fmt(m[name]["estimate"]), fmt(m[name]["se"]), fmt_p(m[name]["p"])]
        for name in ("a", "b", "c_prime", "c")
    ]
    return [
        head,
        f"  n = {m['n']} clients",
        *_table(["path", "estimate", "se", "p"], rows),
        f"  indirect effect a*b = {fmt(ind['estimate'])}, {round(100 * ind['level'])}% CI {fmt_ci(ind)} "
        f"({boot['method']} bootstrap, {boot['resamples']} resamples, seed {boot['seed']})",
    ]
