"""A self-contained HTML report: tables, an inline SVG forest plot and trajectories, the model results, and
the methods written out. No scripts, fonts or images are loaded from anywhere, so the file can be mailed or
archived as it is."""

from __future__ import annotations

from html import escape
from typing import Any

from .correlation_report import (
    figure_rows,
    joint_sentence,
    methods_paragraphs,
    moderator_sentences,
    overall_sentence,
)
from .figure_plot import figure_forest_svg
from .figures import FIGURES, MODERATORS, client_figures
from .report import Analysis, fmt, fmt_ci, fmt_p, p_clause
from .trajectories import MAX_LINES, trajectories_svg

CSS = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 1040px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td:not(:first-child) { white-space: nowrap; }
th { background: #f4f6f8; }
.note { color: #555; font-size: 0.92em; }
figure { margin: 1em 0; overflow-x: auto; } figcaption { color: #555; font-size: 0.9em; }
.table-wrap { overflow-x: auto; }
"""


def _inline(svg: str) -> str:
    """An SVG document as an element inside HTML (no XML declaration)."""
    return svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    # Its own scrolling box: on a phone a wide table scrolls there, not the whole report.
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _p(text: str, cls: str | None = None) -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{escape(text)}</p>"


def _figures_table(r: dict[str, Any]) -> str:
    headers, rows = figure_rows(r, digits=2)
    labels = {f["name"]: f["label"] for f in r["figures"]}
    words = {
        "figure": "Compliance figure",
        "n": "n",
        "p": "p",
        "p Holm": "p (Holm-adjusted)",
        "r": "r within therapists",
        "between": "r between therapists",
        "all clients": "r all clients",
        "truth": "Truth",
        "covered": "CI covers truth",
    }
    table = _table(
        [words.get(h, h[:1].upper() + h[1:]) for h in headers], [[labels[row[0]], *row[1:]] for row in rows]
    )
    missing = [f for f in r["figures"] if f["reason"]]
    notes = "".join(_p(f"{f['label']}: not estimated - {f['reason']}.", "note") for f in missing)
    return table + notes


def _moderators(r: dict[str, Any]) -> str:
    parts = []
    for name in MODERATORS:
        m = r["moderators"][name]
        parts.append(f"<h3>By {escape(name)}</h3>")
        parts += [_p(line) for line in moderator_sentences(name, m)]
        rows = [[lev, str(v["k"]), fmt(v["r"]), fmt_ci(v)] for lev, v in r[f"by_{name}"].items()]
        parts.append(_table([name.capitalize(), "Figures", "Mean r (descriptive)", "95% CI"], rows))
    if r["confounded"]:
        parts.append("<h3>Confounded splits</h3>")
        parts += [_p(joint_sentence(j)) for j in r["confounded"]]
    return "".join(parts)


def _mixed(m: dict[str, Any]) -> str:
    if "error" in m:
        return _p(f"Not computed: {m['error']}.")
    words = {
        "intercept": "Intercept (week 0, a client of average engagement)",
        "week": "Week (change per week, a client of average engagement)",
        "within": "Within-person: the week after a week 10 points above the client's own average",
        "between": "Between-person: a client 10 points above the average client",
        "week_x_between": "Between-person, on the slope: change per week for 10 points more",
    }
    rows = [
        [words[name], fmt(c["estimate"], 3), fmt(c["se"], 3), fmt_ci(c), fmt_p(c["p"])]
        for name, c in m["coefficients"].items()
    ]
    warn = f" Fitting warnings: {'; '.join(m['warnings'])}." if m["warnings"] else ""
    slope = m["random_slope_test"] or {"lr": None, "p": None}
    return (
        _p(m["model"])
        + _table(["Term (PHQ-9 points)", "Estimate", "SE", "95% CI", "p"], rows)
        + _p(
            f"{m['n_observations']} client-weeks of {m['n_clients']} clients. Random intercept variance "
            f"{fmt(m['random_intercept_variance'], 2)}; clients' own time slopes vary with SD "
            f"{fmt(m['random_slope_sd'], 3)} points per week (likelihood-ratio test against a random "
            f"intercept only: LR = {fmt(slope['lr'], 2)}, {p_clause(slope['p'])}); residual variance "
            f"{fmt(m['residual_variance'], 2)}; the fit {'converged' if m['converged'] else 'did NOT converge'}."
            f"{warn}",
            "note",
        )
        + _mixed_truth(m.get("truth"))
    )


def _mixed_truth(t: dict[str, Any] | None) -> str:
    if not t:
        return ""
    return _p(
        f"Simulated truth: the clients' time slopes have mean {fmt(t['time_slope_mean'], 3)} points per week "
        f"and SD {fmt(t['time_slope_sd'], 3)}; practice changes the next week's score by "
        f"{fmt(t['lagged_within_effect'], 3)} points per 10 percentage points (the within-person effect).",
        "note",
    )


def _mediation(m: dict[str, Any]) -> str:
    described = _p(
        f"Engagement: {m['engagement']}. Mechanism: {m['mechanism']}. Outcome: {m['outcome']}. "
        f"Covariates in every path: {m['covariates']}."
    ) + _p(f"Warning: {m['warning']}", "note")
    if "error" in m:
        return described + _p(f"Not computed: {m['error']}.")
    words = {
        "a": "a: mastery on engagement",
        "b": "b: later improvement on mastery (engagement held fixed)",
        "c_prime": "c′: later improvement on engagement (mastery held fixed; direct effect)",
        "c": "c: later improvement on engagement (total effect)",
    }
    rows = [
        [words[k], fmt(m[k]["estimate"], 3), fmt(m[k]["se"], 3), fmt_ci(m[k]), fmt_p(m[k]["p"])]
        for k in words
    ]
    ind, boot = m["indirect"], m["bootstrap"]
    return (
        described
        + _table(["Path", "Estimate", "SE", "95% CI", "p"], rows)
        + _p(
            f"Indirect effect a×b = {fmt(ind['estimate'], 3)} PHQ-9 points per 10 percentage points of "
            f"engagement, {round(100 * ind['level'])}% CI {fmt_ci(ind)} (percentile bootstrap resampling "
            f"{boot['resampling']}: {boot['resamples']} resamples of the {m['n']} clients of "
            f"{m['n_clusters']} therapists over {m['imputations']} imputations, seed {boot['seed']}"
            + (f"; {boot['failed']} resamples could not be fitted" if boot["failed"] else "")
            + f"). Standardised indirect effect: {fmt(ind['standardised'], 3)}.",
            "note",
        )
    )


def _missing(m: dict[str, Any]) -> str:
    return _p(
        f"Weekly PHQ-9 scores missing: {m['missing']} of {m['client_weeks']} client-weeks "
        f"({100 * m['share_missing']:.1f}%): {m['missing_after_discharge']} after an early discharge and "
        f"{m['missing_in_treatment']} in treatment. The end-of-course score is missing for "
        f"{m['clients_end_score_missing']} of {m['clients']} clients ({100 * m['share_end_score_missing']:.1f}%) "
        f"and is imputed. Handling: {m['handling']}.",
        "note",
    )


def _truth(r: dict[str, Any]) -> str:
    t = r.get("truth")
    if not t:
        return ""
    realised = t.get("realised") or {}
    truth = t.get("truth") or {}
    covered = [
        f["truth"]["covered"] for f in r["figures"] if "truth" in f and f["truth"]["covered"] is not None
    ]
    monte_carlo = truth.get("monte_carlo") or {}
    text = (
        f"This data set was simulated with truth r = {t.get('true_r')}: the population correlation, within "
        f"therapists, of the reference figure ({t.get('reference_figure', 'objective_percentage')}, the "
        "percentage of planned practices completed) with improvement. The simulator calibrates its latent "
        f"traits so that this holds (latent within-therapist correlation {fmt(truth.get('latent_within_r'))}). "
        f"Realised in this sample, the reference correlation is {fmt(realised.get('reference_within_r'))} "
        f"within therapists and {fmt(realised.get('reference_all_clients_r'))} across all clients. Halo "
        f"H = {t.get('halo')} (how strongly subjective and retroactive ratings are inflated by the improvement "
        f"the rater sees); therapist effects SD {t.get('therapist_sd', 0.0)} with correlation "
        f"{t.get('therapist_r', 0.0)} between a therapist's engagement and improvement effects."
    )
    parts = [_p(text)]
    if monte_carlo:
        parts.append(
            _p(
                f"Each figure's truth (the table's Truth column, hollow circles in the forest plot) is its "
                f"population within-therapist correlation, computed by the same analysis on a simulated "
                f"sample of {monte_carlo.get('n_clients')} clients (seed {monte_carlo.get('seed')}; Monte "
                f"Carlo standard error at most {fmt(monte_carlo.get('max_se'))}). The 95% CI covers the truth "
                f"for {sum(covered)} of {len(covered)} figures.",
                "note",
            )
        )
    return "<h2>Simulated data: the known truth</h2>" + "".join(parts)


def _methods(r: dict[str, Any]) -> str:
    figure_list = "".join(
        f"<li>{escape(f.label)} — source {escape(f.source)}, type {escape(f.type)}, timing {escape(f.timing)}</li>"
        for f in FIGURES
    )
    paragraphs = [
        "Improvement is each client's change in PHQ-9 from week 0 to the last week of the course (week 0 "
        "minus the last week, so a positive number means fewer depressive symptoms at the end), adjusted to "
        "the average baseline: the change minus (1 − b) times the client's distance from the mean baseline, "
        "where b is the least-squares slope of the end score on the week-0 score across clients. It is the "
        "ANCOVA form of change (Vickers & Altman 2001): a raw change is larger for clients who start high, "
        "partly by regression to the mean, and would correlate with anything that goes with the baseline. "
        "The end is the same week for every client, so a client who left early is compared with the others "
        "at the same point; clients with fewer than two scores are left out.",
        "Missing scores: questionnaires are skipped, and none are sent after an early discharge. The weekly "
        "mixed model uses the observed scores only, which gives valid estimates when scores are missing at "
        "random (given the scores already seen and the model's terms). Where a per-client figure needs a "
        "score that is missing (the end-of-course score above; the scores of the mediation design), the "
        "scores are multiply imputed: a linear mixed model of the weekly scores with a random intercept "
        "and time slope per client, the share of planned practices done predicting level and slope (and, "
        "with enough early discharges, discharge and its interaction with it; for the mediation design its "
        "engagement and mastery instead), fitted by Gibbs sampling; each imputation takes one draw of every parameter (a proper "
        "imputation; Schafer & Yucel 2002). No rating enters the imputation of the outcome: a rater who "
        "sees the scores would carry their view of the outcome into it. Figures are computed on every "
        "imputed data set and pooled by Rubin's rules (Rubin 1987), with the degrees of freedom of Barnard "
        "& Rubin (1999).",
        "Compliance is described by several figures, each labelled by who produced it (source: the client, "
        "the therapist, both averaged, or the platform's own record), how (type: a 0-4 rating, a count, or "
        "a percentage of the planned practices) and when (timing: at each session, or once at the end of "
        "treatment looking back). Every figure is about how much homework was done over the whole course:",
    ]
    more = [
        *methods_paragraphs(r),
        "Ratings made with knowledge of how the client is doing - above all retroactive ratings at the end "
        "of treatment - may be inflated by that knowledge, which makes their correlations larger without "
        "compliance mattering more.",
        "The mixed-effects model relates each week's PHQ-9 score to the practice of the week before (the "
        "share of that week's planned practices that were submitted), so that practice comes before the "
        "score it is meant to change. Each client's weekly practice is split into their own average (the "
        "between-person part, centred on the average client) and the week's deviation from it (the "
        "within-person part): the within-person slope answers whether a client's next score is lower after "
        "a week in which they practised more than they usually do, and is free of every stable difference "
        "between clients. The week number carries the common trend, an interaction of week with the "
        "between-person part asks whether clients who practise more improve faster, and each client has "
        "their own intercept and their own time slope (correlated random effects), since clients improve "
        "at different rates. It was fitted by REML (checked against R's lme4); engagement is counted in steps "
        "of 10 percentage points. Weeks without a score are left out rather than filled in: the likelihood "
        "of the observed scores gives valid estimates when scores are missing at random given the model's "
        "terms and the scores already seen.",
        "The mediation analysis asks whether engagement relates to later improvement through a "
        "mechanism. No mechanism ratings are collected yet, so the therapist's rating of the client's "
        "mastery (0-4) stands in for it. The design is time-ordered: the course is split at its middle "
        "week h; engagement is the share of the planned practices of the weeks before h that were done, the "
        "mechanism is the mean mastery rated in the reviews of weeks 1 to h, and the outcome is the "
        "improvement after the ratings, from the scores the therapist had seen when rating (for each rating "
        "the latest PHQ-9 the client had answered by then, averaged) to the end-of-course score. Every path "
        "is adjusted for the week-0 score and those scores seen, so that a rating which follows the scores "
        "seen so far cannot predict the later improvement through them, and has a fixed effect per "
        "therapist, so that therapists whose clients practise more, are rated higher and improve more do not "
        "make an indirect effect. Path a regresses mastery on engagement, path b the later improvement on "
        "mastery with engagement held fixed, and the indirect effect is a×b. Its confidence interval comes "
        f"from {r['mediation'].get('bootstrap', {}).get('resamples', 'many')} bootstrap resamples that draw "
        "therapists with replacement and then clients with replacement within each drawn therapist's "
        "caseload (clients of one therapist are not independent; Davison & Hinkley 1997), spread over the "
        "imputations of a missing end score and pooled (the 2.5th and 97.5th percentiles of the resampled "
        "a×b); this two-stage bootstrap counts the variation within caseloads twice and so errs on the wide "
        "side. Mastery is left out of the imputation model, as a rating by someone who saw the scores would "
        "carry them into the imputed outcome. The therapist sees the client's PHQ-9 scores, so mastery may "
        "be rated up for clients who are doing well in ways the adjustment does not capture; and the "
        "analysis is observational: it shows whether the numbers are consistent with mediation, not that "
        "mastery causes improvement.",
    ]
    return (
        "<h2>Methods</h2>"
        + "".join(_p(t) for t in paragraphs)
        + f"<ul>{figure_list}</ul>"
        + "".join(_p(t) for t in more)
    )


def render_html(a: Analysis) -> str:
    r = a.report
    d = r["dataset"]
    engagement = client_figures(a.data)["objective_percentage"]
    summary = overall_sentence(r) + "."
    body = [
        "<h1>Homework compliance and outcome</h1>",
        _p(
            f"Data set: {d['path']} — {d['n_clients']} clients ({d['n_clients_with_improvement']} with an "
            f"improvement score), {d['n_therapists']} therapists, {d['weeks']} weeks. Improvement: "
            f"{r['improvement']['definition']} (mean {fmt(r['improvement']['mean'], 1)}, 95% CI "
            f"{fmt_ci(r['improvement'])}, SD {fmt(r['improvement']['sd'], 1)})."
        ),
        _missing(r["missing"]),
        _p(summary),
        "<h2>Compliance figures and improvement</h2>",
        _figures_table(r),
        "<h2>Moderators: source, type and timing</h2>",
        _moderators(r),
        "<h2>Forest plot</h2>",
        f"<figure>{_inline(figure_forest_svg(r))}<figcaption>Each square is one compliance figure's "
        "within-therapist correlation with improvement, with its 95% CI from the client bootstrap; the "
        "diamond is the mean over the figures (Fisher z) with its CI from the same bootstrap. The figures "
        "are computed on the same clients, so they are not independent of each other."
        + (" Hollow circles: the truth of simulated data." if r.get("truth") else "")
        + "</figcaption></figure>",
        "<h2>PHQ-9 trajectories</h2>",
        f"<figure>{_inline(trajectories_svg(a.data, engagement))}<figcaption>Weekly PHQ-9 scores of each "
        f"client (grey; at most {MAX_LINES} drawn) and the weekly mean of the clients in the lowest, middle "
        "and highest third of the share of planned practices done.</figcaption></figure>",
        "<h2>Within- and between-person effects (mixed model)</h2>",
        _mixed(r["mixed_model"]),
        "<h2>Mediation: engagement → therapist-rated mastery → later improvement</h2>",
        _mediation(r["mediation"]),
        _truth(r),
        _methods(r),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>EmotiPal: homework compliance and outcome</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(p for p in body if p) + "\n</body>\n</html>\n"
    )
