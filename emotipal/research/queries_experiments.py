"""Read models of experiments: the allocation log as a statistician downloads and replays it, and what the
experiment pages show (arm counts, participants not allocated yet and why, decision-point counts, arms).

The log names units by the study's pseudonyms (a client "C-…", a therapist "T-…", a clinic "C-…" of kind
clinic), never internal ids, and says who triggered each allocation by role only. The page read models
never carry the method's state, the seed or the rows of an allocation table: nothing that tells the next arm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.compliance.figures import FIGURES
from emotipal.analysis.trials import allocation as engine
from emotipal.analysis.trials import redcap_allocation
from emotipal.measures.models import InstrumentVersion
from emotipal.platform.features import FEATURES
from emotipal.research import pseudonyms
from emotipal.research.actions.experiments import (
    ALLOCATED_STATES,
    design_of,
    factor_label,
    factor_levels,
)
from emotipal.research.models import (
    Allocation,
    Arm,
    DecisionPoint,
    Experiment,
    ExperimentKind,
    ExperimentState,
    Participant,
    ParticipantAllocation,
    SiteStatus,
    StudySite,
)


def unit_pseudonym(experiment: Experiment, unit_key: str) -> str:
    kind, _sep, local_id = unit_key.partition(":")
    return pseudonyms.pseudonym(experiment.study, kind, local_id)


def log_rows(experiment: Experiment) -> list[Allocation]:
    return list(experiment.allocations.select_related("arm").order_by("sequence"))


def log_entries(rows: list[Allocation]) -> list[engine.LogEntry]:
    return [
        engine.LogEntry(
            sequence=r.sequence, factors=dict(r.inputs), arm=r.arm.key, state_before=r.state_before
        )
        for r in rows
    ]


def chain_problem(rows: list[Allocation]) -> str | None:
    """Where the stored hash chain breaks (a row changed or removed behind the application's back), or None."""
    previous = ""
    for row in rows:
        if row.previous_hash != previous or row.row_hash != row.compute_hash():
            return f"allocation {row.sequence}"
        previous = row.row_hash
    return None


def allocation_log_document(experiment: Experiment) -> dict[str, Any]:
    """The downloadable log: the design with its seed, and one entry per allocation with what replays it."""
    rows = log_rows(experiment)
    document = engine.log_document(
        design_of(experiment),
        log_entries(rows),
        study=experiment.study.slug,
        experiment=experiment.slug,
        experiment_version=experiment.version,
        unit=experiment.unit,
    )
    for entry, row in zip(document["entries"], rows, strict=True):
        entry.update(
            unit=unit_pseudonym(experiment, row.unit_key),
            at=row.at.isoformat(),
            trigger=row.trigger,
            method=row.method,
            detail=row.detail,
            previous_hash=row.previous_hash,
            row_hash=row.row_hash,
        )
    return document


def replay_stored(experiment: Experiment) -> engine.Replay:
    """Replay the stored log with the engine (and check its hash chain first)."""
    rows = log_rows(experiment)
    broken = chain_problem(rows)
    if broken is not None:
        return engine.Replay(False, 0, None, None, None, f"The stored log's hash chain breaks at {broken}.")
    return engine.replay(design_of(experiment), log_entries(rows))


def log_clients(experiment: Experiment) -> list[ClientProfile]:
    """The clients whose allocations the log holds (for the audit of its download)."""
    return [
        pa.participant.client
        for pa in ParticipantAllocation.objects.filter(experiment=experiment).select_related(
            "participant__client"
        )
    ]


# --- the experiment pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmCount:
    arm: Arm
    participants: int  # participants allocated to the arm
    units: int  # allocations (clusters count once)


@dataclass(frozen=True)
class ExperimentRow:
    experiment: Experiment
    arms: list[ArmCount]
    allocated: int


def arm_counts(experiment: Experiment) -> list[ArmCount]:
    """Every arm with how many are allocated to it so far (never what comes next)."""
    arms = experiment.arms.annotate(
        n_participants=Count("allocations__participants", distinct=True),
        n_units=Count("allocations", distinct=True),
    ).order_by("position", "pk")
    return [ArmCount(a, a.n_participants, a.n_units) for a in arms]


def experiment_rows(experiments: Iterable[Experiment]) -> list[ExperimentRow]:
    rows = []
    for experiment in experiments:
        counts = arm_counts(experiment)
        rows.append(ExperimentRow(experiment, counts, sum(c.participants for c in counts)))
    return rows


@dataclass(frozen=True)
class PendingRow:
    """An enrolled participant the experiment has not allocated, and why (a re-check, not a guess)."""

    pseudonym: str
    reason: str
    participant: Participant = field(repr=False)


def _pending_reason(experiment: Experiment, factors: Sequence[str], participant: Participant) -> str:
    if experiment.state == ExperimentState.DRAFT:
        return _("The experiment has not started.")
    if experiment.state == ExperimentState.STOPPED:
        return _("The experiment stopped before they were allocated.")
    levels = factor_levels(participant)
    missing = [f for f in factors if not levels.get(f)]
    if missing:
        return _("Their %(factor)s is not known yet.") % {"factor": factor_label(missing[0])}
    if experiment.method == "table":
        return _("The allocation table may have no row left for their stratum.")
    return _("Not allocated yet: try again.")


def pending_participants(experiment: Experiment) -> list[PendingRow]:
    """Enrolled participants of the study without an allocation in this (parallel) experiment."""
    if experiment.kind != ExperimentKind.PARALLEL:
        return []
    participants = (
        Participant.objects.filter(study=experiment.study, state__in=ALLOCATED_STATES)
        .exclude(allocations__experiment=experiment)
        .select_related("client__clinic", "client__user")
        .order_by("enrolled_at", "pk")
    )
    factors = tuple((experiment.design or {}).get("factors") or ())
    return [
        PendingRow(
            pseudonyms.pseudonym(experiment.study, "client", p.client_id),
            _pending_reason(experiment, factors, p),
            p,
        )
        for p in participants
    ]


@dataclass(frozen=True)
class DecisionCounts:
    total: int
    available: int
    treated: int
    outcomes_known: int
    participants: int


def decision_counts(experiment: Experiment) -> DecisionCounts:
    counts = DecisionPoint.objects.filter(experiment=experiment).aggregate(
        total=Count("pk"),
        available=Count("pk", filter=Q(available=True)),
        treated=Count("pk", filter=Q(treated=True)),
        outcomes_known=Count("pk", filter=Q(outcome__isnull=False)),
        participants=Count("participant", distinct=True),
    )
    return DecisionCounts(**counts)


def outcome_label(name: str) -> str:
    return dict(outcome_choices()).get(name, name)


def outcome_choices() -> list[tuple[str, str]]:
    """The outcomes an experiment may name: the compliance figures the analysis computes, and symptom change."""
    from_figures = [(f.name, f.label) for f in FIGURES]
    return [
        *from_figures,
        ("phq9_change", _("PHQ-9 change from baseline")),
        ("gad7_change", _("GAD-7 change from baseline")),
        ("phq9_weekly", _("PHQ-9 weekly scores (mixed model, time by arm)")),
    ]


def design_summary(experiment: Experiment) -> list[tuple[str, str]]:
    """The design in words, for the page: the method's parameters, never the seed, the state or table rows."""
    design = dict(experiment.design or {})
    rows: list[tuple[str, str]] = [
        (_("Kind"), str(experiment.get_kind_display())),
        (_("Unit of randomisation"), str(experiment.get_unit_display())),
    ]
    if experiment.kind == ExperimentKind.MRT:
        rows.append((_("Reminder probability"), probability_text(experiment.mrt_probability)))
        rows.append(
            (_("Outcome window"), _("%(n)d minutes") % {"n": experiment.mrt_window_minutes}),
        )
    else:
        rows.append((_("Method"), str(experiment.get_method_display())))
        if experiment.method in ("blocks", "stratified", "table"):
            multiples = design.get("block_multiples") or [1, 2]
            rows.append((_("Block size multiples"), ", ".join(str(m) for m in multiples)))
        factors = design.get("factors") or []
        if factors:
            weights = design.get("weights") or {}
            rows.append(
                (
                    _("Factors"),
                    ", ".join(
                        f"{factor_label(f)}"
                        + (
                            f" (× {weights[f]:g})"
                            if experiment.method == "minimisation" and f in weights
                            else ""
                        )
                        for f in factors
                    ),
                )
            )
        if experiment.method == "minimisation":
            rows.append((_("Imbalance"), str(design.get("imbalance", "range"))))
            rows.append((_("Probability of the least-imbalancing arm"), f"{design.get('p_best', 0.8):g}"))
        if experiment.method == "table":
            rows.append((_("Allocation table"), _("%(n)d rows") % {"n": len(design.get("table") or [])}))
    outcomes = ", ".join(outcome_label(o) for o in experiment.primary_outcomes) or "—"
    rows.append((_("Primary outcomes"), outcomes))
    rows.append(
        (_("Secondary outcomes"), ", ".join(outcome_label(o) for o in experiment.secondary_outcomes) or "—")
    )
    rows.append(
        (
            _("Blinding"),
            _("Open: the client's therapist sees the arm")
            if experiment.open_design
            else _("Blinded: only the research team sees arms"),
        )
    )
    return rows


def probability_text(setting: dict[str, Any]) -> str:
    """{"constant": 0.6} -> "0.6"; {"schedule": [[0, 0.7], [14, 0.5]]} -> "0:0.7, 14:0.5" (the form's syntax)."""
    if "schedule" in (setting or {}):
        return ", ".join(f"{int(d)}:{float(p):g}" for d, p in setting["schedule"])
    return f"{float((setting or {}).get('constant', 0.5)):g}"


def feature_rows(arm: Arm) -> list[tuple[str, str]]:
    """An arm's feature settings in words: (feature, "parameter: value; ...")."""
    rows = []
    for key, values in (arm.features or {}).items():
        feature = FEATURES.get(key)
        if feature is None:
            continue
        parts = []
        for parameter in feature.parameters:
            value = values.get(parameter.name, parameter.default)
            if parameter.kind == "bool":
                shown = _("yes") if value else _("no")
            elif parameter.kind == "choice":
                shown = str(dict(parameter.choices).get(value, value))
            else:
                shown = str(value) or _("the client's own")
            parts.append(f"{parameter.label}: {shown}")
        rows.append((str(feature.label), "; ".join(parts)))
    return rows


# --- a REDCap allocation table from the design --------------------------------------------------------


def strata_levels(experiment: Experiment) -> dict[str, list[str]]:
    """Every level EmotiPal records of each of the design's factors: the study's approved sites, the PHQ-9
    bands, the app's languages."""
    levels: dict[str, list[str]] = {}
    for factor in (experiment.design or {}).get("factors") or []:
        if factor == "site":
            levels[factor] = list(
                StudySite.objects.filter(study=experiment.study, status=SiteStatus.APPROVED)
                .order_by("clinic__slug")
                .values_list("clinic__slug", flat=True)
            )
        elif factor == "phq9_band":
            version = (
                InstrumentVersion.objects.filter(instrument__key="phq9", instrument__clinic__isnull=True)
                .order_by("-pk")
                .first()
            )
            bands = (version.definition.get("bands") if version else None) or []
            levels[factor] = [str(b["label"]) for b in bands]
        elif factor == "language":
            levels[factor] = [code for code, _name in settings.LANGUAGES]
    return levels


def redcap_table(experiment: Experiment, per_stratum: int) -> str:
    """A REDCap allocation table (CSV) of permuted blocks per stratum, from the design's seed."""
    design = design_of(experiment)
    return redcap_allocation.write_table(design, strata_levels(experiment), per_stratum)


# --- who sees which arm -------------------------------------------------------------------------------


def open_arms_of_client(client: Any) -> list[tuple[str, str]]:
    """[(experiment title, arm name)] of the client's running experiments whose design is open: what the
    client's care team may see (answers platform.extensions.client_study_arms). Blinded designs: nothing."""
    rows = (
        ParticipantAllocation.objects.filter(
            participant__client_id=client.pk,
            participant__state__in=ALLOCATED_STATES,
            experiment__state=ExperimentState.RUNNING,
            experiment__open_design=True,
        )
        .order_by("experiment__started_at", "experiment_id")
        .values_list("experiment__title", "allocation__arm__name")
    )
    return [(str(title), str(arm)) for title, arm in rows]
