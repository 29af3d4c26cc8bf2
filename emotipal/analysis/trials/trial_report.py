"""Arm effects of one experiment from an exported (or simulated) data set folder.

The folder is the one ``emotipal analyse`` reads (:mod:`emotipal.analysis.compliance.dataset`) plus the
experiment's allocation log, ``allocations.csv`` with the columns `ALLOCATION_COLUMNS` (one row per client
and experiment). What is computed, per allocated client (intention to treat: in the arm allocated):

* **engagement figures** (``objective_percentage``, ``therapist_retroactive``, ...: the names and
  definitions of :mod:`emotipal.analysis.compliance.figures`), over the whole course in the export. They are
  not cut at the allocation day: when a client was allocated after day 0 their figure includes practice
  from before it, and the report says how many such clients there are;
* **phq9_change** and **gad7_change**: the last score minus the baseline score (negative = improved), where
  the baseline is the latest score at or before the allocation (PHQ-9: the allocation's week, from
  scores.csv; GAD-7: the allocation day, from the completed GAD-7 totals in questionnaire_responses.csv)
  or, with none before, the first one; the last score is the latest after the baseline. Compared adjusted
  for the baseline score (ANCOVA), which removes regression to the mean and gains precision;
* **phq9_weekly**: the weekly PHQ-9 from the allocation week on (week 0 = the allocation week), in the mixed
  model of :func:`~emotipal.analysis.trials.arm_effects.time_by_arm` (the week-by-arm slope difference).

When the unit randomised is a therapist or a clinic, ``unit_key`` is the cluster of the cluster-robust
standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd

from emotipal.analysis.compliance.dataset import AnalysisInputError, Dataset, load_dataset
from emotipal.analysis.compliance.figures import FIGURE_BY_NAME, FIGURES, client_figures
from emotipal.analysis.simulate import ALLOCATION_COLUMNS

from .arm_effects import ArmComparison, TimeByArm, compare_arms, time_by_arm

__all__ = [
    "ALLOCATION_COLUMNS",
    "CHANGE_OUTCOMES",
    "TrialReport",
    "client_outcomes",
    "report_html",
    "trial_report",
    "weekly_scores",
]

ALLOCATIONS_FILE = "allocations.csv"
CHANGE_OUTCOMES = ("phq9_change", "gad7_change")
WEEKLY_OUTCOME = "phq9_weekly"
CLUSTER_UNITS = ("therapist", "clinic")
OUTCOME_LABELS: dict[str, str] = {
    **{f.name: f.label for f in FIGURES},
    "phq9_change": "PHQ-9 change, last score minus baseline (points; negative = improved)",
    "gad7_change": "GAD-7 change, last score minus baseline (points; negative = improved)",
    "phq9_weekly": "Weekly PHQ-9: slope difference, arm minus reference (points per week)",
}
KNOWN_OUTCOMES = (*FIGURE_BY_NAME, *CHANGE_OUTCOMES, WEEKLY_OUTCOME)


@dataclass(frozen=True)
class TrialReport:
    experiment: str
    arms: tuple[str, ...]
    reference: str
    unit: str
    n_allocated: dict[str, int]
    comparisons: tuple[ArmComparison, ...]
    time_by_arm: tuple[TimeByArm, ...]
    notes: tuple[str, ...]
    primary: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)  # outcome -> why it could not be analysed


# --- reading ---------------------------------------------------------------------------------------------


def read_allocations(directory: Path, experiment: str) -> pd.DataFrame:
    """The experiment's rows of allocations.csv, checked (clear AnalysisInputError messages)."""
    path = Path(directory) / ALLOCATIONS_FILE
    if not path.is_file():
        raise AnalysisInputError(
            f"{path}: file not found (the trial analysis needs the allocation log with columns "
            f"{', '.join(ALLOCATION_COLUMNS)})"
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [
        c for c in ("experiment", "client_key", "unit", "unit_key", "arm", "allocated_day") if c not in table
    ]
    if missing:
        raise AnalysisInputError(f"{path}: column(s) {', '.join(missing)} missing")
    table = table.map(str.strip)
    rows = table[table["experiment"] == experiment].copy()
    if rows.empty:
        known = sorted(set(table["experiment"]) - {""})
        raise AnalysisInputError(
            f"{path}: no allocations for experiment '{experiment}' (it has: {', '.join(known) or 'none'})"
        )
    for col in ("client_key", "arm", "unit", "unit_key"):
        blank = rows[col] == ""
        if blank.any():
            line = int(rows.index[blank][0]) + 2  # line 1 is the header
            raise AnalysisInputError(f"{path}, line {line}, column {col}: value is missing")
    twice = rows["client_key"].duplicated()
    if twice.any():
        line = int(rows.index[twice][0]) + 2
        raise AnalysisInputError(
            f"{path}, line {line}: client '{rows.loc[rows.index[twice][0], 'client_key']}' is allocated twice "
            f"in experiment '{experiment}'"
        )
    units = sorted(set(rows["unit"]))
    if len(units) != 1 or units[0] not in ("client", *CLUSTER_UNITS):
        raise AnalysisInputError(
            f"{path}: experiment '{experiment}' must have one unit of randomisation (client, therapist or "
            f"clinic); found {', '.join(units)}"
        )
    days = pd.to_numeric(rows["allocated_day"], errors="coerce")
    if days.isna().any():
        line = int(rows.index[days.isna()][0]) + 2
        raise AnalysisInputError(f"{path}, line {line}, column allocated_day: not a whole number of days")
    rows["allocated_day"] = days.astype(int)
    return rows.reset_index(drop=True)


def _gad7_totals(directory: Path) -> dict[str, dict[int, float]] | None:
    """Completed GAD-7 totals by client and day from questionnaire_responses.csv; None without any."""
    path = Path(directory) / "questionnaire_responses.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    needed = ("client_key", "instrument", "status", "total", "completed_day")
    if any(c not in table for c in needed):
        return None
    rows = table[(table["instrument"].str.lower() == "gad7") & (table["status"] == "completed")]
    out: dict[str, dict[int, float]] = {}
    for _, row in rows.iterrows():
        total, day = (
            pd.to_numeric(row["total"], errors="coerce"),
            pd.to_numeric(row["completed_day"], errors="coerce"),
        )
        if pd.notna(total) and pd.notna(day):
            out.setdefault(row["client_key"], {})[int(day)] = float(total)  # the later one on a day wins
    return out or None


def score_change(by_time: Mapping[int, float], start: int) -> tuple[float, float] | None:
    """(baseline, last - baseline): baseline the latest score at or before `start` (else the first one),
    the last score the latest after the baseline; None without both."""
    if not by_time:
        return None
    times = sorted(by_time)
    before = [t for t in times if t <= start]
    base = before[-1] if before else times[0]
    after = [t for t in times if t > base]
    if not after:
        return None
    return by_time[base], by_time[after[-1]] - by_time[base]


# --- per-client outcomes ---------------------------------------------------------------------------------


def client_outcomes(
    data: Dataset,
    allocations: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    gad7: Mapping[str, Mapping[int, float]] | None = None,
) -> pd.DataFrame:
    """One row per allocated client: client_key, arm, unit_key and each outcome (NaN where it has none).

    Change outcomes add their baseline as ``<instrument>_baseline`` (e.g. phq9_baseline).
    """
    clients = {c.key: c for c in data.clients}
    frame = allocations[["client_key", "arm", "unit_key", "allocated_day"]].copy()
    figures = [o for o in outcomes if o in FIGURE_BY_NAME]
    values = client_figures(data) if figures else {}
    for name in figures:
        frame[name] = [values[name].get(k, math.nan) for k in frame["client_key"]]
    for name in (o for o in outcomes if o in CHANGE_OUTCOMES):
        instrument = name.removesuffix("_change")
        base, change = [], []
        for key, day in zip(frame["client_key"], frame["allocated_day"], strict=True):
            if instrument == "phq9":
                series: Mapping[int, float] = clients[key].scores if key in clients else {}
                found = score_change(series, int(day) // 7)
            else:
                found = score_change((gad7 or {}).get(key, {}), int(day))
            base.append(found[0] if found else math.nan)
            change.append(found[1] if found else math.nan)
        frame[f"{instrument}_baseline"] = base
        frame[name] = change
    return frame


def weekly_scores(data: Dataset, allocations: pd.DataFrame) -> pd.DataFrame:
    """participant, arm, unit_key, week (0 = the allocation week), score: the PHQ-9 from the allocation on."""
    clients = {c.key: c for c in data.clients}
    rows: list[dict[str, object]] = []
    for key, arm, unit_key, day in allocations[["client_key", "arm", "unit_key", "allocated_day"]].itertuples(
        index=False
    ):
        client = clients.get(key)
        if client is None:
            continue
        start = int(day) // 7
        rows.extend(
            {"participant": key, "arm": arm, "unit_key": unit_key, "week": w - start, "score": s}
            for w, s in sorted(client.scores.items())
            if w >= start
        )
    return pd.DataFrame(rows, columns=["participant", "arm", "unit_key", "week", "score"])


# --- the report ------------------------------------------------------------------------------------------


def _check_outcomes(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in KNOWN_OUTCOMES]
    if unknown:
        raise AnalysisInputError(
            f"unknown outcome(s) {', '.join(unknown)}; known: {', '.join(KNOWN_OUTCOMES)}"
        )


def trial_report(
    directory: Path,
    experiment: str,
    *,
    reference: str | None = None,
    primary: Sequence[str] = (),
    secondary: Sequence[str] = (),
) -> TrialReport:
    """Intention-to-treat arm effects of `experiment` on its primary and secondary outcomes.

    Without any outcome given, the primary is ``objective_percentage`` and the secondaries are the other
    engagement figures, phq9_change, gad7_change (when the data set has GAD-7 totals) and phq9_weekly.
    Without `reference`, the alphabetically first arm is the reference (the notes say so).
    """
    directory = Path(directory)
    allocations = read_allocations(directory, experiment)
    data = load_dataset(directory)
    gad7 = _gad7_totals(directory)
    _check_outcomes([*primary, *secondary])
    notes: list[str] = []
    if not primary and not secondary:
        primary = ("objective_percentage",)
        secondary = tuple(
            o
            for o in KNOWN_OUTCOMES
            if o != "objective_percentage" and (o != "gad7_change" or gad7 is not None)
        )
        notes.append("No outcomes were chosen: objective_percentage is the primary, the others secondary.")
    outcomes = list(dict.fromkeys([*primary, *secondary]))
    arms = tuple(sorted(set(allocations["arm"])))
    if len(arms) < 2:
        raise AnalysisInputError(
            f"experiment '{experiment}' has a single arm ({arms[0]}): nothing to compare"
        )
    if reference is None:
        reference = arms[0]
        notes.append(f"Reference arm: {reference} (the first in alphabetical order).")
    elif reference not in arms:
        raise AnalysisInputError(
            f"reference arm '{reference}' is not an arm of '{experiment}' ({', '.join(arms)})"
        )
    unit = str(allocations["unit"].iloc[0])
    cluster = "unit_key" if unit in CLUSTER_UNITS else None
    counts = allocations["arm"].value_counts()
    n_allocated = {a: int(counts.get(a, 0)) for a in arms}
    notes.append(
        "Intention to treat: every client is analysed in the arm allocated ("
        + ", ".join(f"{a}: {n}" for a, n in n_allocated.items())
        + "); a client without an outcome is left out of that outcome and counted."
    )
    versions = sorted(set(allocations.get("experiment_version", pd.Series(dtype=str))) - {""})
    if len(versions) > 1:
        notes.append(
            f"The allocations span experiment versions {', '.join(versions)}; they are analysed together."
        )
    known = {c.key for c in data.clients}
    absent = int((~allocations["client_key"].isin(known)).sum())
    if absent:
        notes.append(f"{absent} allocated client(s) are not in the data set: they have no outcomes.")
    outside = len(known - set(allocations["client_key"]))
    if outside:
        notes.append(
            f"{outside} client(s) of the data set were not allocated in this experiment and are left out."
        )
    if cluster:
        n_units = allocations["unit_key"].nunique()
        notes.append(
            f"Randomised by {unit} ({n_units} units): standard errors are cluster-robust (CR2) by {unit}, "
            "with Bell-McCaffrey degrees of freedom."
        )
    late = int((allocations["allocated_day"] > 0).sum())
    if any(o in FIGURE_BY_NAME for o in outcomes):
        notes.append(
            "Engagement figures cover the whole course in the export"
            + (
                f"; {late} client(s) were allocated after day 0, so theirs include practice before allocation."
                if late
                else "."
            )
        )
    skipped: dict[str, str] = {}
    if "gad7_change" in outcomes and gad7 is None:
        skipped["gad7_change"] = "the data set has no completed GAD-7 totals (questionnaire_responses.csv)"
    frame = client_outcomes(data, allocations, [o for o in outcomes if o not in skipped], gad7=gad7)
    comparisons: list[ArmComparison] = []
    for name in outcomes:
        if name in skipped or name == WEEKLY_OUTCOME:
            continue
        covariates = (f"{name.removesuffix('_change')}_baseline",) if name in CHANGE_OUTCOMES else ()
        try:
            comparisons.extend(
                compare_arms(frame, name, reference=reference, cluster=cluster, covariates=covariates)
            )
        except AnalysisInputError as exc:
            skipped[name] = str(exc)
    if any(o in CHANGE_OUTCOMES for o in outcomes):
        notes.append(
            "Changes are the last score minus the baseline (the latest score at or before allocation, else the "
            "first), adjusted for the baseline score (ANCOVA)."
        )
    slopes: list[TimeByArm] = []
    if WEEKLY_OUTCOME in outcomes:
        try:
            slopes = time_by_arm(
                weekly_scores(data, allocations),
                reference=reference,
                participant="participant",
                cluster=cluster,
            )
        except AnalysisInputError as exc:
            skipped[WEEKLY_OUTCOME] = str(exc)
    for name, why in skipped.items():
        notes.append(f"{name}: not analysed ({why}).")
    return TrialReport(
        experiment=experiment,
        arms=arms,
        reference=reference,
        unit=unit,
        n_allocated=n_allocated,
        comparisons=tuple(comparisons),
        time_by_arm=tuple(slopes),
        notes=tuple(notes),
        primary=tuple(primary),
        secondary=tuple(o for o in secondary if o not in primary),
        skipped=skipped,
    )


# --- HTML ------------------------------------------------------------------------------------------------


def _f(value: float, digits: int = 2) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="trial-effects"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def report_html(report: TrialReport) -> str:
    """An HTML fragment (every value escaped): a table per outcome, the weekly-score model, the notes."""
    parts = [
        f"<h2>{escape(f'Arm effects: {report.experiment}')}</h2>",
        f"<p>{escape(f'Unit randomised: {report.unit}. Reference arm: {report.reference}.')}</p>",
    ]
    role = {**{o: "secondary" for o in report.secondary}, **{o: "primary" for o in report.primary}}
    by_outcome: dict[str, list[ArmComparison]] = {}
    for c in report.comparisons:
        by_outcome.setdefault(c.outcome, []).append(c)
    headers = [
        "Arm",
        "n",
        "Mean",
        "Reference n",
        "Reference mean",
        "Difference",
        "CI",
        "p",
        "Hedges' g",
        "g CI",
        "Not analysed (no outcome)",
        "Standard errors",
    ]
    for outcome, rows in by_outcome.items():
        title = OUTCOME_LABELS.get(outcome, outcome) + (f" ({role[outcome]})" if outcome in role else "")
        adjusted = rows[0].adjusted_for
        parts.append(f"<h3>{escape(title)}</h3>")
        parts.append(
            _table(
                headers,
                [
                    [
                        c.arm,
                        str(c.n_arm),
                        _f(c.mean_arm),
                        str(c.n_reference),
                        _f(c.mean_reference),
                        _f(c.difference),
                        f"{c.level:.0%}: {_f(c.ci_low)} to {_f(c.ci_high)}",
                        _p(c.p),
                        _f(c.effect_size),
                        f"{_f(c.es_ci_low)} to {_f(c.es_ci_high)}",
                        f"{c.n_missing_arm} / {c.n_missing_reference}",
                        c.se_method,
                    ]
                    for c in rows
                ],
            )
        )
        notes = [rows[0].es_name]
        if adjusted:
            notes.insert(0, f"Difference adjusted for {', '.join(adjusted)} (ANCOVA).")
        parts.append(f'<p class="note">{escape(" ".join(notes))}</p>')
    if report.time_by_arm:
        parts.append(f"<h3>{escape(OUTCOME_LABELS[WEEKLY_OUTCOME])}</h3>")
        parts.append(
            _table(
                ["Arm", "Slope difference", "95% CI", "p", "Participants", "Observations"],
                [
                    [
                        t.arm,
                        _f(t.estimate, 3),
                        f"{_f(t.ci_low, 3)} to {_f(t.ci_high, 3)}",
                        _p(t.p),
                        str(t.n_participants),
                        str(t.n_observations),
                    ]
                    for t in report.time_by_arm
                ],
            )
        )
        parts.append(f'<p class="note">{escape(report.time_by_arm[0].model)}</p>')
    if report.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")
    return "\n".join(parts)
