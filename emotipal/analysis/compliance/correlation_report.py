"""The correlation, overall and moderator parts of the report: JSON-ready dicts, plain text and methods prose.

:func:`correlation_json` turns a :class:`~.correlations.ComplianceOutcome` into the report's keys (documented
in :data:`DEFINITIONS`); :func:`render_correlation_text` and :func:`methods_paragraphs` render them, so the
text and the HTML report show the same numbers and describe the same methods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..meta.multiplicity import adjust_p
from .clustered import MIN_WITHIN_DF, Estimate
from .contrasts import Difference, JointContrast, LevelMean, ModeratorTest
from .correlations import ComplianceOutcome
from .figures import FIGURES, MODERATORS

METHOD = (
    "within-therapist correlations (values centred on each therapist's caseload mean) with a bootstrap "
    "that resamples clients within caseloads; overall = Fisher-z mean over figures; moderators: Wald tests "
    "of the separable contrasts on the bootstrap covariance"
)
DEFINITIONS = {
    "figures[].r, ci_low, ci_high, se_z, p": "the figure's correlation with improvement within therapists "
    "(Pearson's r of the values centred on the mean of the therapist's clients who have both), its 95% CI "
    "(z ± 1.96 se_z on Fisher's z = atanh r, back-transformed) and Wald p; se_z is the bootstrap SD of z "
    "scaled by sqrt(n / (n - n_therapists - 2)); null with a reason when it cannot be estimated",
    "figures[].p_holm": "p adjusted for testing every figure (Holm's step-down method over the figures "
    "with a p-value): reject at 5% only where p_holm < 0.05",
    "figures[].n, n_therapists": "clients with both the figure and improvement, and their therapists",
    "figures[].between": "r of the therapists' caseload means of the figure and of improvement (k "
    "therapists, at least 4; the means also carry the clients' own association); descriptive, no interval",
    "figures[].all_clients": "r across all clients ignoring therapists (mixes within and between); "
    "descriptive",
    "figures[].by_therapist": "r within each therapist's caseload; descriptive",
    "figures[].truth": "simulated data only: the figure's population (truth) within-therapist and all-"
    "clients correlation from truth.json, and whether the 95% CI covers the within value",
    "overall": "tanh of the mean of the figures' within-therapist Fisher z values (k figures), CI and p "
    "from the bootstrap covariance of those z values",
    "by_source/by_type/by_timing": "descriptive: per level, the Fisher-z mean of its figures' within "
    "correlations with a bootstrap CI (k figures); levels in different separable groups are not comparable",
    "moderators[name]": "groups = levels that share the levels of the other moderators (separable); "
    "differences = each level minus its group's first level, in Fisher z, estimated among figures matched "
    "on matched_on; statistic/df/p = Wald chi-square test of all differences; confounded = level groups "
    "that cannot be told apart from the moderators in confounded_with; reason = why there is no test",
    "confounded": "splits of the figures that belong to several moderators at once (e.g. objective vs "
    "rating = count/percentage vs Likert): difference b - a in Fisher z, matched on matched_on, with CI "
    "and p; it cannot be attributed to either moderator",
    "bootstrap": "resamples, seed, and resamples left out because a correlation was undefined in them",
}


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _estimate_json(e: Estimate) -> dict[str, Any]:
    return {
        "r": _num(e.r),
        "ci_low": _num(e.ci_low),
        "ci_high": _num(e.ci_high),
        "se_z": _num(e.se_z),
        "p": _num(e.p),
    }


def _level_json(m: LevelMean) -> dict[str, Any]:
    return {"r": _num(m.r), "ci_low": _num(m.ci_low), "ci_high": _num(m.ci_high), "k": m.k}


def _difference_json(d: Difference) -> dict[str, Any]:
    return {
        "level": d.level,
        "reference": d.reference,
        "estimate_z": _num(d.estimate),
        "se_z": _num(d.se),
        "ci_low_z": _num(d.ci_low),
        "ci_high_z": _num(d.ci_high),
        "p": _num(d.p),
    }


def _moderator_json(t: ModeratorTest) -> dict[str, Any]:
    return {
        "tested": t.statistic is not None,
        "groups": [list(g) for g in t.groups],
        "matched_on": list(t.matched_on),
        "differences": [_difference_json(d) for d in t.differences],
        "statistic": _num(t.statistic),
        "df": t.df,
        "p": _num(t.p),
        "confounded": [
            {
                "levels": list(c.levels),
                "other_levels": list(c.other_levels),
                "confounded_with": list(c.confounded_with),
            }
            for c in t.confounded
        ],
        "reason": t.reason,
    }


def _joint_json(j: JointContrast) -> dict[str, Any]:
    return {
        "moderators": list(j.moderators),
        "figures_a": list(j.side_a),
        "figures_b": list(j.side_b),
        "levels": {m: {"a": list(a), "b": list(b)} for m, (a, b) in j.labels.items()},
        "matched_on": list(j.matched_on),
        "estimate_z": _num(j.estimate),
        "se_z": _num(j.se),
        "ci_low_z": _num(j.ci_low),
        "ci_high_z": _num(j.ci_high),
        "p": _num(j.p),
    }


def _figure_truth(truth: dict[str, Any] | None, name: str, within: Estimate) -> dict[str, Any] | None:
    figures = ((truth or {}).get("truth") or {}).get("figures") or {}
    values = figures.get(name)
    if not isinstance(values, dict) or values.get("within") is None:
        return None
    value = values["within"]
    covered = None
    if within.ci_low is not None and within.ci_high is not None:
        covered = within.ci_low <= value <= within.ci_high
    return {"within": value, "all_clients": values.get("all_clients"), "covered": covered}


def correlation_json(co: ComplianceOutcome, truth: dict[str, Any] | None) -> dict[str, Any]:
    """The report's correlation keys: bootstrap, overall, figures, by_<moderator>, moderators, confounded."""
    boot = co.correlations
    overall_truth = ((truth or {}).get("truth") or {}).get("overall_within")
    out: dict[str, Any] = {
        "method": METHOD,
        "bootstrap": {
            "scheme": "clients resampled with replacement within each therapist's caseload",
            "resamples": boot.resamples,
            "seed": boot.seed,
            "failed": boot.failed,
        },
        "overall": {
            **_estimate_json(co.overall),
            "estimate_z": _num(co.overall.z),
            "k": co.overall_k,
            "figures": list(boot.names),
            **({"truth": overall_truth} if isinstance(overall_truth, int | float) else {}),
        },
        "figures": [],
    }
    for f in co.figures:
        c = f.corr
        entry: dict[str, Any] = {
            "name": f.spec.name,
            "label": f.spec.label,
            "source": f.spec.source,
            "type": f.spec.type,
            "timing": f.spec.timing,
            "n": c.n,
            "n_therapists": c.n_therapists,
            **_estimate_json(c.within),
            "reason": c.reason,
            "between": {"r": _num(c.between), "k": c.n_therapists},
            "all_clients": {"r": _num(c.all_clients), "n": c.n},
            "by_therapist": [{"therapist": t, "n": n, "r": _num(r)} for t, n, r in c.by_therapist],
        }
        figure_truth = _figure_truth(truth, f.spec.name, c.within)
        if figure_truth is not None:
            entry["truth"] = figure_truth
        out["figures"].append(entry)
    # Several figures are tested on the same clients: Holm's step-down adjustment keeps the chance of any false
    # positive among them at 5% (valid under any dependence between the tests).
    for entry, adjusted in zip(
        out["figures"], adjust_p([e["p"] for e in out["figures"]], "holm"), strict=True
    ):
        entry["p_holm"] = _num(adjusted)
    for name in MODERATORS:
        out[f"by_{name}"] = {lev: _level_json(m) for lev, m in co.moderators.tests[name].levels.items()}
    out["moderators"] = {name: _moderator_json(co.moderators.tests[name]) for name in MODERATORS}
    out["confounded"] = [_joint_json(j) for j in co.moderators.joint]
    return out


# --- text --------------------------------------------------------------------------------------------


def _fmt(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "NA"
    return "<.001" if p < 0.001 else f"{p:.3f}"


def p_clause(p: float | None) -> str:
    """'p = 0.034' or 'p < .001'."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def ci_text(item: dict[str, Any], low: str = "ci_low", high: str = "ci_high") -> str:
    if item.get(low) is None or item.get(high) is None:
        return "NA"
    return f"[{item[low]:.2f}, {item[high]:.2f}]"


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


def difference_text(d: dict[str, Any]) -> str:
    return (
        f"{d['level']} - {d['reference']}: difference in z = {_fmt(d['estimate_z'])} "
        f"{ci_text(d, 'ci_low_z', 'ci_high_z')}, {p_clause(d['p'])}"
    )


def moderator_sentences(name: str, m: dict[str, Any]) -> list[str]:
    """The moderator's test, its differences and what it cannot separate, as sentences."""
    lines = []
    tested = [g for g in m["groups"] if len(g) > 1]
    if m["tested"]:
        lines.append(
            f"Separable: {'; '.join(', '.join(g) for g in tested)} (figures matched on "
            f"{_and(m['matched_on'])}): Wald chi2({m['df']}) = {_fmt(m['statistic'], 2)}, {p_clause(m['p'])}"
        )
        lines += [difference_text(d) for d in m["differences"]]
    else:
        lines.append(f"Not tested: {m['reason']}.")
    for c in m["confounded"]:
        lines.append(
            f"Not separable: {', '.join(c['levels'])} vs {', '.join(c['other_levels'])} - confounded with "
            f"{_and(c['confounded_with'])}."
        )
    return lines


def _split(j: dict[str, Any]) -> str:
    return "; ".join(f"{m}: {', '.join(v['b'])} vs {', '.join(v['a'])}" for m, v in j["levels"].items())


def joint_sentence(j: dict[str, Any]) -> str:
    head = f"{_and(j['moderators'])} are the same split of the figures ({_split(j)})"
    if j["estimate_z"] is None:
        return f"{head}; no figures on the two sides share the levels of the other moderators."
    matched = f", among figures matched on {_and(j['matched_on'])}" if j["matched_on"] else ""
    return (
        f"{head}. Difference in z, first minus second{matched}: {_fmt(j['estimate_z'])} "
        f"{ci_text(j, 'ci_low_z', 'ci_high_z')}, {p_clause(j['p'])}; it cannot be attributed to either "
        "moderator."
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"  {first}  {rest}".rstrip()

    return [line(headers), *(line(r) for r in rows)]


def has_truth(r: dict[str, Any]) -> bool:
    return any("truth" in f for f in r["figures"])


def figure_rows(r: dict[str, Any], digits: int = 3) -> tuple[list[str], list[list[str]]]:
    truth = has_truth(r)
    headers = [
        "figure",
        "source",
        "type",
        "timing",
        "n",
        "r",
        "95% CI",
        "p",
        "p Holm",
        "between",
        "all clients",
    ]
    if truth:
        headers += ["truth", "covered"]
    rows = []
    for f in r["figures"]:
        row = [
            f["name"],
            f["source"],
            f["type"],
            f["timing"],
            str(f["n"]),
            _fmt(f["r"], digits),
            ci_text(f),
            fmt_p(f["p"]),
            fmt_p(f.get("p_holm")),
            _fmt(f["between"]["r"], digits),
            _fmt(f["all_clients"]["r"], digits),
        ]
        if truth:
            t = f.get("truth") or {}
            covered = t.get("covered")
            row += [_fmt(t.get("within"), digits), "NA" if covered is None else "yes" if covered else "no"]
        rows.append(row)
    return headers, rows


def overall_sentence(r: dict[str, Any]) -> str:
    ov = r["overall"]
    truth = f"; truth {_fmt(ov['truth'])}" if ov.get("truth") is not None else ""
    return (
        f"Overall (Fisher-z mean of the within-therapist correlations of k = {ov['k']} figures): "
        f"r = {_fmt(ov['r'])} {ci_text(ov)}, {p_clause(ov['p'])}{truth}"
    )


def render_correlation_text(r: dict[str, Any]) -> list[str]:
    b = r["bootstrap"]
    out = [
        "Correlation of each compliance figure with improvement within therapists (95% CI from "
        f"{b['resamples']} bootstrap resamples of clients within caseloads, seed {b['seed']}; between = "
        "correlation of caseload means, all clients = ignoring therapists; both descriptive):",
        *_table(*figure_rows(r)),
    ]
    missing = [f for f in r["figures"] if f["reason"]]
    out += [f"  {f['name']}: not estimated - {f['reason']}" for f in missing]
    out += ["", overall_sentence(r)]
    for name in MODERATORS:
        out += ["", f"By {name}:"]
        out += [f"  {line}" for line in moderator_sentences(name, r["moderators"][name])]
        rows = [[lev, str(v["k"]), _fmt(v["r"]), ci_text(v)] for lev, v in r[f"by_{name}"].items()]
        out += _table([f"{name} (descriptive)", "k", "mean r", "95% CI"], rows)
    if r["confounded"]:
        out += ["", "Confounded splits (tested together, not as any one moderator):"]
        out += [f"  {joint_sentence(j)}" for j in r["confounded"]]
    return out


# --- methods -----------------------------------------------------------------------------------------


def methods_paragraphs(r: dict[str, Any]) -> list[str]:
    """How the correlations, the overall figure and the moderator tests were computed, for a methods section."""
    b = r["bootstrap"]
    n_figures = len(FIGURES)
    return [
        "Association of compliance with improvement. For each compliance figure we estimated its "
        "association with improvement within therapists: the figure and the improvement were each centred "
        "on the mean of the therapist's clients who had both values, and Pearson's correlation was computed "
        "on the centred values (the pooled within-therapist correlation, which equals the partial "
        "correlation controlling for therapist). Centring removes differences between caseloads, so "
        "therapists whose clients both practise more and improve more do not by themselves produce an "
        "association between clients. For description we also give the correlation of the therapists' "
        "caseload means (between therapists; a caseload's means also carry its clients' own association, so "
        "this is not zero without therapist differences) and the correlation across all clients ignoring "
        "therapist, which mixes the two; with few therapists neither has a useful confidence interval.",
        "Inference. Every client contributes all of their compliance figures, so the figures' correlations "
        "are not independent of each other. Confidence intervals therefore come from a stratified "
        f"nonparametric bootstrap ({b['resamples']} resamples, seed {b['seed']}): in each resample the "
        "clients of every therapist were drawn with replacement from that therapist's caseload, keeping "
        "each client's figures together, and every correlation was recomputed. Standard errors are the "
        "standard deviations of the resampled Fisher-z values (z = atanh r), multiplied by "
        "√(n / (n − T − 2)) for n clients in T caseloads, which matches Fisher's small-sample variance "
        "1/(n − T − 2) of a correlation computed after removing T means; 95% confidence intervals are "
        "z ± 1.96 SE transformed back to r, and p-values come from the same normal approximation; because "
        "every figure is tested on the same clients, the table also gives p-values adjusted by Holm's "
        "step-down method, which holds the chance of any false positive among the figures at 5%. "
        "Therapists are held fixed: the results describe the association within these therapists' "
        f"caseloads. A figure needs at least {MIN_WITHIN_DF} more clients with both values than therapists.",
        f"Overall association. The average association over the {n_figures} figures is the mean of their "
        "within-therapist Fisher-z values, transformed back to r; its standard error is computed from the "
        "bootstrap covariance of the figures' z values, so it carries their dependence. The figures of one "
        "sample are not separate studies, and pooling them (or figure-by-therapist correlations) in a "
        "meta-analysis as if they were would understate the uncertainty; meta-analytic pooling "
        "(emotipal meta) is meant for combining separate studies or sites.",
        "Moderators. Each figure is labelled by its source (client, therapist, both averaged, or the "
        "platform's record), its type (0-4 rating, count or percentage) and its timing (at each session or "
        "retroactively at the end of treatment). A difference between levels of one moderator was only "
        "attributed to that moderator when figures at those levels agree on the other two moderators: "
        "levels are grouped by whether they co-occur within strata of equal levels of the other moderators, "
        "and within a group the level effects were estimated by least squares of the figures' z values on "
        "stratum and level (with one figure per level and stratum, the mean of the matched differences). "
        "Each moderator's level differences were tested jointly with a Wald chi-square test using their "
        "bootstrap covariance. Levels that never share the other moderators' levels are confounded and are "
        "not tested as that moderator. " + _confounding_prose(r["confounded"]),
    ]


def _confounding_prose(joint: list[dict[str, Any]]) -> str:
    if not joint:
        return "In these data every moderator's levels could be compared."
    sentences = []
    for j in joint:
        matched = f" matched on {_and(j['matched_on'])}" if j["matched_on"] else ""
        sentences.append(
            f"In these data {_and(j['moderators'])} are the same split of the figures ({_split(j)}); it is "
            f"reported once, as the difference between the two sets of figures{matched}, and cannot be "
            "attributed to either moderator."
        )
    return " ".join(sentences)
