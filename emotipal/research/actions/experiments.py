"""Experiments: designing one, starting and stopping it, and allocating participants by the method, never by hand.

Allocation happens here only: when a participant is enrolled (consent signed) in a study with running
experiments, and when an experiment starts (for those already enrolled). Each allocation locks the
experiment row, so two enrolments cannot take the same place in a block or read the same minimisation counts,
and appends one log row with everything needed to replay it. Once anyone is allocated, the design is fixed:
changing arms or the method means a new version of the experiment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.trials import allocation as engine
from emotipal.measures.models import Response
from emotipal.platform import clock, features
from emotipal.platform.audit.services import record
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    Allocation,
    Arm,
    Experiment,
    ExperimentKind,
    ExperimentState,
    Participant,
    ParticipantAllocation,
    ParticipantState,
    Study,
    Unit,
)

# Baseline facts a stratified or minimised design may balance on, with the words a message names them by.
FACTORS = ("site", "phq9_band", "language")


def factor_label(factor: str) -> str:
    return {
        "site": _("site (clinic)"),
        "phq9_band": _("baseline PHQ-9 band"),
        "language": _("language"),
    }.get(factor, factor)


ALLOCATED_STATES = frozenset({ParticipantState.ENROLLED, ParticipantState.COMPLETED, ParticipantState.LOST})


@dataclass(frozen=True)
class ArmDraft:
    key: str
    name: str
    description: str = ""
    ratio: int = 1
    features: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentDraft:
    title: str
    question: str = ""
    kind: str = ExperimentKind.PARALLEL
    unit: str = Unit.CLIENT
    method: str = "blocks"
    design: Mapping[str, Any] = field(default_factory=dict)
    arms: Sequence[ArmDraft] = ()
    primary_outcomes: Sequence[str] = ()
    secondary_outcomes: Sequence[str] = ()
    open_design: bool = False
    mrt_probability: Mapping[str, Any] = field(default_factory=dict)
    mrt_window_minutes: int = 120


# --- the design ----------------------------------------------------------------------------------------


def design_of(experiment: Experiment, arms: Sequence[Arm] | None = None) -> engine.Design:
    arms = list(arms if arms is not None else experiment.arms.all())
    return engine.Design.from_json(
        {
            **dict(experiment.design or {}),
            "method": experiment.method,
            "arms": [{"key": a.key, "ratio": a.ratio} for a in arms],
            "seed": experiment.seed,
        }
    )


def _checked_design(draft: ExperimentDraft) -> engine.Design:
    return engine.Design.from_json(
        {
            **dict(draft.design),
            "method": draft.method,
            "arms": [{"key": a.key, "ratio": a.ratio} for a in draft.arms],
            "seed": 0,
        }
    )


def check_draft(draft: ExperimentDraft) -> None:
    """Every problem of a draft as a ResearchError (nothing is saved when one is found)."""
    if not draft.title.strip():
        raise ResearchError(_("Give the experiment a title."))
    if draft.unit not in Unit.values:
        raise ResearchError(_("Choose the unit of randomisation: client, therapist or clinic."))
    if draft.kind not in ExperimentKind.values:
        raise ResearchError(_("Choose the kind of experiment."))
    if draft.kind == ExperimentKind.MRT:
        _check_mrt(draft)
        return
    keys = [a.key for a in draft.arms]
    if any(not a.key or slugify(a.key) != a.key for a in draft.arms):
        raise ResearchError(_("Arm keys are short lower-case words, digits and hyphens."))
    if any(not a.name.strip() for a in draft.arms):
        raise ResearchError(_("Give every arm a name."))
    if len(set(keys)) != len(keys):
        raise ResearchError(_("Two arms have the same key."))
    unknown = [f for f in (draft.design.get("factors") or []) if f not in FACTORS]
    if unknown:
        raise ResearchError(
            _("%(factor)s is not a baseline factor EmotiPal records (use %(known)s).")
            % {"factor": unknown[0], "known": ", ".join(FACTORS)}
        )
    try:
        engine.check_design(_checked_design(draft))
        for arm in draft.arms:
            features.check_settings(arm.features)
    except (engine.DesignError, features.FeatureError, TypeError, ValueError) as exc:
        raise ResearchError(str(exc)) from exc


def _check_mrt(draft: ExperimentDraft) -> None:
    try:
        mrt_probability_at(dict(draft.mrt_probability), 0)
    except (TypeError, ValueError, KeyError) as exc:
        raise ResearchError(
            _("The reminder probability must be a number between 0 and 1 (exclusive), or a schedule.")
        ) from exc
    if not 5 <= draft.mrt_window_minutes <= 24 * 60:
        raise ResearchError(_("The outcome window must be between 5 minutes and a day."))


def mrt_probability_at(setting: Mapping[str, Any], day_in_treatment: int) -> float:
    """The probability of a reminder at a decision point: {"constant": p} or {"schedule": [[from day, p], ...]}."""
    if "schedule" in setting:
        steps = sorted((int(d), float(p)) for d, p in setting["schedule"])
        if not steps or steps[0][0] != 0:
            raise ValueError("a schedule starts at day 0")
        p = [p for d, p in steps if d <= day_in_treatment][-1]
    else:
        p = float(setting.get("constant", 0.5))
    if not 0 < p < 1:
        raise ValueError("probability outside (0, 1)")
    return p


def _unique_slug(study: Study, title: str) -> str:
    base = slugify(title)[:50] or "experiment"
    slug, n = base, 2
    while Experiment.objects.filter(study=study, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _write_arms(experiment: Experiment, arms: Sequence[ArmDraft]) -> None:
    for position, arm in enumerate(arms):
        Arm.objects.create(
            experiment=experiment,
            key=arm.key,
            name=arm.name.strip(),
            description=arm.description.strip(),
            ratio=arm.ratio,
            position=position,
            features=features.check_settings(arm.features),
        )


def _fields(draft: ExperimentDraft) -> dict[str, Any]:
    return {
        "title": draft.title.strip(),
        "question": draft.question.strip(),
        "kind": draft.kind,
        "unit": draft.unit,
        "method": draft.method if draft.kind == ExperimentKind.PARALLEL else "simple",
        "design": dict(draft.design) if draft.kind == ExperimentKind.PARALLEL else {},
        "primary_outcomes": list(draft.primary_outcomes),
        "secondary_outcomes": list(draft.secondary_outcomes),
        "open_design": draft.open_design,
        "mrt_probability": dict(draft.mrt_probability),
        "mrt_window_minutes": draft.mrt_window_minutes,
    }


def create_experiment(actor: Any, study: Study, draft: ExperimentDraft) -> Experiment:
    check_draft(draft)
    with transaction.atomic():
        experiment = Experiment.objects.create(
            study=study, slug=_unique_slug(study, draft.title), created_by=actor, **_fields(draft)
        )
        _write_arms(experiment, draft.arms)
        record(actor, "research.experiment.created", experiment, study=study.slug, kind=experiment.kind)
    return experiment


def has_allocations(experiment: Experiment) -> bool:
    return experiment.allocations.exists() or experiment.decision_points.exists()


def update_experiment(actor: Any, experiment: Experiment, draft: ExperimentDraft) -> Experiment:
    """Change a design nobody has been allocated under; afterwards only a new version may differ."""
    check_draft(draft)
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if has_allocations(locked):
            raise ResearchError(
                _(
                    "Participants have been allocated: the arms and the method cannot change. Make a new version."
                )
            )
        if locked.state == ExperimentState.STOPPED:
            raise ResearchError(_("A stopped experiment cannot change."))
        for name, value in _fields(draft).items():
            setattr(locked, name, value)
        locked.allocation_state = {}
        locked.save()
        locked.arms.all().delete()
        _write_arms(locked, draft.arms)
        record(actor, "research.experiment.updated", locked, study=locked.study.slug)
    return locked


def new_version(actor: Any, experiment: Experiment) -> Experiment:
    """A draft copy (version + 1, a fresh seed) that replaces this one; this one is stopped."""
    with transaction.atomic():
        old = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if hasattr(old, "replaced_by"):
            raise ResearchError(_("This version has already been replaced."))
        copy = Experiment.objects.create(
            study=old.study,
            slug=old.slug,
            version=old.version + 1,
            replaces=old,
            created_by=actor,
            **{k: getattr(old, k) for k in _fields(ExperimentDraft(title=old.title))},
        )
        for arm in old.arms.all():
            Arm.objects.create(
                experiment=copy,
                key=arm.key,
                name=arm.name,
                description=arm.description,
                ratio=arm.ratio,
                position=arm.position,
                features=arm.features,
            )
        if old.state != ExperimentState.STOPPED:
            old.state, old.stopped_at = ExperimentState.STOPPED, clock.now()
            old.save(update_fields=["state", "stopped_at"])
        record(actor, "research.experiment.new_version", copy, replaces=old.pk, version=copy.version)
    return copy


def start(actor: Any, experiment: Experiment) -> list[str]:
    """Run it: everyone already enrolled is allocated now. Returns the problems of those who could not be."""
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if locked.state != ExperimentState.DRAFT:
            raise ResearchError(_("Only a draft experiment can start."))
        if locked.kind == ExperimentKind.PARALLEL and locked.arms.count() < 2:
            raise ResearchError(_("An experiment needs at least two arms."))
        locked.state, locked.started_at = ExperimentState.RUNNING, clock.now()
        locked.save(update_fields=["state", "started_at"])
        record(actor, "research.experiment.started", locked, study=locked.study.slug)
    problems: list[str] = []
    if locked.kind == ExperimentKind.PARALLEL:
        enrolled = Participant.objects.filter(study=locked.study, state__in=ALLOCATED_STATES).order_by(
            "enrolled_at", "pk"
        )
        for participant in enrolled:
            try:
                allocate(locked, participant, actor, "experiment started")
            except ResearchError as exc:
                problems.append(str(exc))
    return problems


def stop(actor: Any, experiment: Experiment) -> Experiment:
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if locked.state != ExperimentState.RUNNING:
            raise ResearchError(_("Only a running experiment can stop."))
        locked.state, locked.stopped_at = ExperimentState.STOPPED, clock.now()
        locked.save(update_fields=["state", "stopped_at"])
        record(actor, "research.experiment.stopped", locked, study=locked.study.slug)
    return locked


# --- allocation ----------------------------------------------------------------------------------------


def _baseline_band(client: ClientProfile, instrument_key: str) -> str | None:
    responses = Response.objects.filter(
        client=client,
        status=Response.Status.COMPLETED,
        instrument_version__instrument__key=instrument_key,
        instrument_version__instrument__clinic__isnull=True,
    ).order_by("completed_at", "pk")
    for response in responses.iterator():
        if response.band:
            return str(response.band)
    return None


def factor_levels(participant: Participant) -> dict[str, str | None]:
    """The participant's baseline levels of every factor a design may use (None: not known)."""
    client = participant.client
    return {
        "site": client.clinic.slug,
        "phq9_band": _baseline_band(client, "phq9"),
        "language": client.user.language or None,
    }


def unit_key(experiment: Experiment, participant: Participant) -> str:
    client = participant.client
    if experiment.unit == Unit.THERAPIST:
        return f"therapist:{client.therapist_id}"
    if experiment.unit == Unit.CLINIC:
        return f"clinic:{client.clinic_id}"
    return f"client:{client.pk}"


def _inputs(design: engine.Design, participant: Participant) -> dict[str, str]:
    levels = factor_levels(participant)
    missing = [f for f in design.factors if not levels.get(f)]
    if missing:
        raise ResearchError(
            _("The participant cannot be allocated yet: their %(factor)s is not known.")
            % {"factor": factor_label(missing[0])}
        )
    return {f: str(levels[f]) for f in design.factors}


def allocate(
    experiment: Experiment, participant: Participant, actor: Any, trigger: str
) -> ParticipantAllocation:
    """The participant's allocation in this experiment: the first one if they already have one, their
    cluster's if it was already allocated, else a new one by the method (one appended log row)."""
    if participant.state not in ALLOCATED_STATES:
        raise ResearchError(_("Only enrolled participants are allocated."))
    existing = ParticipantAllocation.objects.filter(experiment=experiment, participant=participant).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if locked.state != ExperimentState.RUNNING or locked.kind != ExperimentKind.PARALLEL:
            raise ResearchError(_("This experiment is not allocating participants."))
        existing = ParticipantAllocation.objects.filter(experiment=locked, participant=participant).first()
        if existing is not None:
            return existing
        key = unit_key(locked, participant)
        unit_allocation = Allocation.objects.filter(experiment=locked, unit_key=key).first()
        if unit_allocation is None:
            unit_allocation = _new_allocation(locked, participant, key, actor, trigger)
        try:
            with transaction.atomic():
                linked = ParticipantAllocation.objects.create(
                    experiment=locked, participant=participant, allocation=unit_allocation, at=clock.now()
                )
        except IntegrityError:  # the same participant allocated by a concurrent request: theirs stands
            return ParticipantAllocation.objects.get(experiment=locked, participant=participant)
        record(
            actor,
            "research.allocation.linked",
            linked,
            subject_user_id=participant.client.user_id,
            clinic_id=participant.client.clinic_id,
            experiment=locked.pk,
            sequence=unit_allocation.sequence,
        )
    features.forget(participant.client)
    return linked


def _new_allocation(
    experiment: Experiment, participant: Participant, key: str, actor: Any, trigger: str
) -> Allocation:
    arms = list(experiment.arms.all())
    design = design_of(experiment, arms)
    inputs = _inputs(design, participant)
    last = experiment.allocations.order_by("-sequence").first()
    sequence = (last.sequence if last else 0) + 1
    state_before = experiment.allocation_state or engine.initial_state(design)
    try:
        result = engine.allocate(design, state_before, sequence, inputs)
    except engine.DesignError as exc:
        raise ResearchError(str(exc)) from exc
    allocation = Allocation(
        experiment=experiment,
        sequence=sequence,
        unit_key=key,
        arm=next(a for a in arms if a.key == result.arm),
        method=experiment.method,
        inputs=inputs,
        state_before=state_before,
        detail=result.detail,
        triggered_by=actor if getattr(actor, "is_authenticated", False) else None,
        trigger=trigger,
        at=clock.now(),
        previous_hash=last.row_hash if last else "",
    )
    allocation.save()
    experiment.allocation_state = result.state
    experiment.save(update_fields=["allocation_state"])
    record(
        actor,
        "research.allocation.made",
        allocation,
        experiment=experiment.pk,
        sequence=sequence,
        trigger=trigger,
    )
    return allocation


def allocate_on_enrolment(participant: Participant, actor: Any) -> list[str]:
    """Allocate a newly enrolled participant in every running experiment of their study.

    Enrolment never fails because of an experiment: a participant who cannot be allocated (a baseline factor
    not known yet) is enrolled, the problem is audited and shown on the experiment's page, and the team can
    allocate them once the factor is known."""
    problems = []
    running = Experiment.objects.filter(
        study_id=participant.study_id, state=ExperimentState.RUNNING, kind=ExperimentKind.PARALLEL
    )
    for experiment in running:
        try:
            allocate(experiment, participant, actor, "enrolment")
        except ResearchError as exc:
            problems.append(str(exc))
            record(
                actor,
                "research.allocation.failed",
                participant,
                subject_user_id=participant.client.user_id,
                experiment=experiment.pk,
                problem=str(exc),
            )
    return problems
