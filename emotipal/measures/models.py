"""Instruments (questionnaires) as versioned data, schedules, responses, risk alerts and crisis resources."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emotipal.platform.encryption import EncryptedJSONField, EncryptedTextField


class Instrument(models.Model):
    key = models.SlugField(max_length=60)
    # None: shipped with EmotiPal (PHQ-9, GAD-7, ...); otherwise a clinic's own instrument.
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "clinic"], name="unique_instrument_key_per_clinic")
        ]

    def __str__(self) -> str:
        return self.key


class InstrumentVersion(models.Model):
    """A frozen version. A response pins the version it was given with; edits never re-score old answers."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="unique_instrument_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def name(self) -> str:
        # The key only when the definition has no name: reading it costs a query per version on list pages.
        return str(self.definition.get("name") or self.instrument.key)


class Schedule(models.Model):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        BEFORE_SESSION = "before_session", _("Before each session")
        INTAKE = "intake", _("Once, at intake")
        DISCHARGE = "discharge", _("Once, at discharge")

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="schedules")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    weekday = models.PositiveSmallIntegerField(default=0, help_text="For weekly schedules: Monday = 0.")
    expires_after_days = models.PositiveSmallIntegerField(default=3)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.instrument} {self.get_kind_display()} for {self.client_id}"


def score_blob(
    total: float | None, band: str | None, subscales: dict[str, float | None] | None
) -> dict[str, Any]:
    """The value of Response.scores: a response's total, severity band and subscale scores."""
    return {"total": total, "band": band or "", "subscales": subscales or {}}


OPEN_STATUSES = ("due", "in_progress")


class Response(models.Model):
    """One administration of an instrument: due, in progress (saved partly), completed, expired, or
    superseded (closed because another copy of the same questionnaire was open or answered for the client)."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded by another copy")

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="responses")
    instrument_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="responses"
    )
    # The version's instrument, copied here so the database itself can allow only one open questionnaire per
    # client and instrument (a constraint cannot look through the version). Set by save(); bulk_create callers
    # set it themselves.
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+", editable=False)
    schedule = models.ForeignKey(Schedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    due_date = models.DateField()
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DUE)
    answers = EncryptedJSONField(default=dict)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The scores are health data: total, severity band and subscales are kept together in one encrypted blob
    # ({"total", "band", "subscales"}) so that reading a response's scores costs one decryption, not three.
    # Read and set them through the `total`, `band` and `subscales` properties; they cannot be filtered or
    # ordered on in SQL (do that in Python after loading, see measures/queries.py).
    scores = EncryptedJSONField(default=dict, blank=True)
    prorated = models.BooleanField(default=False)
    # The language of the wording the client was shown when they last saved (a checked translation, or the
    # version's own language). With the version it says exactly which text the answers are answers to.
    language = models.CharField(max_length=10, default="en")

    class Meta:
        ordering = ["-due_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "due_date"],
                condition=models.Q(schedule__isnull=False),
                name="one_response_per_schedule_date",
            ),
            # Two schedules (or a schedule and "ask now") for the same questionnaire must never show it twice.
            models.UniqueConstraint(
                fields=["client", "instrument"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="one_open_response_per_client_instrument",
            ),
        ]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"{self.instrument_version} for {self.client_id} due {self.due_date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.instrument_id is None and self.instrument_version_id is not None:
            self.instrument_id = InstrumentVersion.objects.values_list("instrument_id", flat=True).get(
                pk=self.instrument_version_id
            )
        super().save(*args, **kwargs)

    def _score(self, key: str, empty: Any) -> Any:
        value = (self.scores or {}).get(key)
        return empty if value is None else value

    def _set_score(self, key: str, value: Any) -> None:
        self.scores = {**(self.scores or {}), key: value}

    @property
    def total(self) -> float | None:
        return self._score("total", None)

    @total.setter
    def total(self, value: float | None) -> None:
        self._set_score("total", value)

    @property
    def band(self) -> str:
        return str(self._score("band", ""))

    @band.setter
    def band(self, value: str | None) -> None:
        self._set_score("band", value or "")

    @property
    def subscales(self) -> dict[str, float | None]:
        return self._score("subscales", {})

    @subscales.setter
    def subscales(self, value: dict[str, float | None] | None) -> None:
        self._set_score("subscales", value or {})

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DUE, self.Status.IN_PROGRESS) and (
            self.expires_at is None or timezone.now() < self.expires_at
        )


class InstrumentTranslation(models.Model):
    """A language version of one instrument version: wording only (see emotipal/definitions/translations.py).

    Item ids, answer values, risk flags and scoring stay the version's own, so scores are comparable across
    languages. A clinic's import (a licensed translation it holds) is shown to that clinic's clients only."""

    class Format(models.TextChoices):
        REDCAP = "redcap", _("REDCap data dictionary")
        FHIR = "fhir", _("FHIR Questionnaire")

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="translations")
    # None: shipped with EmotiPal (none are, see the instrument files); otherwise the importing clinic's own.
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, null=True, blank=True)
    language = models.CharField(max_length=10)
    texts = models.JSONField()
    source = models.TextField(help_text="Where the wording comes from and under which licence it is used.")
    file_format = models.CharField(max_length=10, choices=Format.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version_id", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "clinic", "language"], name="one_translation_per_version_clinic_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class RiskAlert(models.Model):
    """An answer that signals risk. The therapist is told at once and acknowledges with an action note."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="risk_alerts")
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="alert")
    items = EncryptedJSONField(help_text="The risk items and the answers given.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_note = EncryptedTextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Risk alert for {self.client_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class SeriesVerdict(models.Model):
    """The reliable-change verdict of one client's series on one instrument (first -> latest total), kept so
    that the caseload can filter and sort a whole clinic by deterioration without decrypting two scores of
    every series on every request (measures/verdicts.py).

    A cache, never the record: `fingerprint` is how the database summarises the series' completed responses
    (how many, their ids, the first and the last completion), and a verdict whose fingerprint no longer
    matches the responses is recomputed from them when it is next read. The verdict is a category, like a risk
    alert's existence; the scores it was computed from stay encrypted on the responses."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)  # the instrument's name in its latest version used
    status = models.CharField(max_length=40, blank=True)  # jacobson_truax's status; "" with none
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "instrument"], name="one_verdict_per_client_series"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.instrument_id} of client {self.client_id}: {self.status or 'no verdict'}"


class CrisisResource(models.Model):
    """What a client sees at once when an answer signals risk: per clinic and language."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="crisis_resources")
    language = models.CharField(max_length=10, default="en")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Phone numbers, addresses and what to do, in plain words.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["clinic_id", "language", "order", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Heartbeat(models.Model):
    """The next run of a recurring background job; keeps one chain of tasks however often workers restart."""

    name = models.CharField(max_length=60, unique=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
