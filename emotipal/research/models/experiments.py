"""Experiments within a study: arms, the allocation log, participants' allocations and MRT decision points.

The allocation log is append-only: a row is written once by the allocation action and never changed or
deleted by the application (the models refuse it). Each row keeps what is needed to replay it (the inputs,
the method's state before it, the random draw's detail) and a hash of the previous row, so a statistician
can replay the whole log and see where a tampered copy diverges.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from emotipal.research.models.core import Participant, Study


class ExperimentState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")


class ExperimentKind(models.TextChoices):
    PARALLEL = "parallel", _("Randomised trial (arms)")
    MRT = "mrt", _("Micro-randomised trial of reminders")


class Unit(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist (cluster)")
    CLINIC = "clinic", _("Clinic (cluster)")


class Method(models.TextChoices):
    SIMPLE = "simple", _("Simple randomisation")
    BLOCKS = "blocks", _("Permuted blocks of random sizes")
    STRATIFIED = "stratified", _("Stratified permuted blocks")
    MINIMISATION = "minimisation", _("Pocock-Simon minimisation")
    TABLE = "table", _("Allocation table (REDCap)")


def new_seed() -> int:
    return secrets.randbelow(2**62)


class Experiment(models.Model):
    """One version of an experiment. Its design is fixed once the first participant is allocated: a change
    is a new version (a new row pointing at the one it replaces)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="experiments")
    slug = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    kind = models.CharField(max_length=10, choices=ExperimentKind.choices, default=ExperimentKind.PARALLEL)
    title = models.CharField(max_length=200)
    question = models.TextField(blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.CLIENT)
    method = models.CharField(max_length=14, choices=Method.choices, default=Method.BLOCKS)
    # Method parameters beyond the arms (block multiples, factors, weights, imbalance, p_best, table rows)
    # in the shape of emotipal.analysis.trials.allocation.Design.to_json.
    design = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(default=new_seed, editable=False)
    # The method's state after the latest allocation (blocks in progress, counts): what the next allocation
    # starts from. Never shown on a page: it would reveal the next arm.
    allocation_state = models.JSONField(default=dict, blank=True, editable=False)
    primary_outcomes = models.JSONField(default=list, blank=True)
    secondary_outcomes = models.JSONField(default=list, blank=True)
    # Open design: the participant's therapist may see the arm. Clients never see it.
    open_design = models.BooleanField(default=False)
    # MRT: the randomisation probability (constant, or {"schedule": [[from day, p], ...]}) and the window
    # within which a started practice counts as the proximal outcome.
    mrt_probability = models.JSONField(default=dict, blank=True)
    mrt_window_minutes = models.PositiveIntegerField(default=120)
    state = models.CharField(max_length=10, choices=ExperimentState.choices, default=ExperimentState.DRAFT)
    # Power by simulation, newest last: each the request (effect, sample size, trials) and, when done, the
    # result (see emotipal.analysis.trials.power.PowerResult), computed by a background task.
    power_runs = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "slug", "version"], name="unique_experiment_version")
        ]
        ordering = ["study", "slug", "-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.state})"


class Arm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    ratio = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    # {feature key: {parameter: value}} checked against emotipal.platform.features.FEATURES when saved.
    features = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "key"], name="unique_arm_key")]
        ordering = ["experiment", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class AppendOnlyError(RuntimeError):
    pass


class Allocation(models.Model):
    """One allocation of one unit (a client, or a therapist or clinic as a cluster): append-only."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="allocations")
    sequence = models.PositiveIntegerField()
    unit_key = models.CharField(max_length=40)  # "client:12", "therapist:5", "clinic:3"
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="allocations")
    method = models.CharField(max_length=14, choices=Method.choices)
    inputs = models.JSONField(default=dict, blank=True)  # the factor levels the method used
    state_before = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=40)  # what caused it: "enrolment", "experiment started"
    at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64, blank=True)
    row_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "sequence"], name="unique_allocation_sequence"),
            models.UniqueConstraint(fields=["experiment", "unit_key"], name="one_allocation_per_unit"),
        ]
        ordering = ["experiment", "sequence"]

    def __str__(self) -> str:
        return f"allocation {self.sequence} of {self.experiment_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("The allocation log is append-only.")
        self.row_hash = self.compute_hash()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The allocation log is append-only.")

    def hashed_content(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment_id,
            "sequence": self.sequence,
            "unit": self.unit_key,
            "arm": self.arm.key,
            "method": self.method,
            "inputs": self.inputs,
            "state_before": self.state_before,
            "at": self.at.isoformat(),
            "previous": self.previous_hash,
        }

    def compute_hash(self) -> str:
        text = json.dumps(self.hashed_content(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


class ParticipantAllocation(models.Model):
    """Which allocation a participant is under (their own, or their therapist's or clinic's cluster)."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.PROTECT, related_name="participant_allocations"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="allocations")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="participants")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "participant"], name="one_allocation_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"participant {self.participant_id} in allocation {self.allocation_id}"


class DecisionPoint(models.Model):
    """One MRT decision point: a planned practice day at the participant's reminder time."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="decision_points")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="decision_points")
    day = models.DateField()  # the participant's local date
    at = models.DateTimeField()  # the decision moment (the reminder time)
    available = models.BooleanField()
    unavailable_reason = models.CharField(max_length=40, blank=True)
    probability = models.FloatField(null=True, blank=True)  # of a reminder; None when not available
    draw = models.FloatField(null=True, blank=True)  # the uniform draw compared with the probability
    treated = models.BooleanField(default=False)  # randomised to a reminder
    sent = models.CharField(max_length=40, blank=True)  # what the reminder path did
    window_minutes = models.PositiveIntegerField()
    outcome = models.BooleanField(null=True, blank=True)  # practice started within the window
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "participant", "day"], name="one_decision_per_day")
        ]
        ordering = ["experiment", "participant", "day"]

    def __str__(self) -> str:
        return f"decision {self.participant_id} {self.day} ({'treated' if self.treated else 'not treated'})"
