"""Assignments (what the therapist asked for), entries (what the client did) and reviews."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from emotipal.common.encryption import EncryptedJSONField, EncryptedTextField

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RATING_VALIDATORS = [MinValueValidator(0), MaxValueValidator(4)]


class Assignment(models.Model):
    """A template, pinned at one version, assigned to a client with a plan (how often, how long, when)."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(
        "library.TemplateVersion", on_delete=models.PROTECT, related_name="+"
    )
    rationale = EncryptedTextField(help_text="Why this exercise, for this client, in words agreed together.")
    instructions = EncryptedTextField(blank=True)
    times_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    minutes_per_practice = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    # Planned practice days as weekday numbers, Monday = 0, e.g. "0,1,2,3,4".
    practice_days = models.CharField(max_length=20)
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["client", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.template_version.title} for {self.client}"

    @property
    def weekdays(self) -> list[int]:
        return [int(d) for d in self.practice_days.split(",") if d != ""]

    @property
    def weekday_labels(self) -> str:
        return ", ".join(WEEKDAYS[d] for d in self.weekdays)

    @property
    def plan_label(self) -> str:
        return f"{self.minutes_per_practice} min, {self.times_per_week} times a week"

    def is_active_on(self, day: dt.date) -> bool:
        return self.ended_at is None and self.start_date <= day <= self.end_date

    def is_due_on(self, day: dt.date) -> bool:
        return self.is_active_on(day) and day.weekday() in self.weekdays


class Entry(models.Model):
    """One practice attempt. A draft is saved as the client types; submission freezes the answers."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="entries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Drafts hold exactly what was typed (strings); submitted entries hold validated, typed values.
    answers = EncryptedJSONField(default=dict)
    # Defaults rather than auto_now so imports (the demo clinic, migrations of old data) keep real times.
    started_at = models.DateTimeField(default=timezone.now)
    last_saved_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    practice_date = models.DateField(help_text="The day the practice was done (client's local date).")
    active_seconds = models.PositiveIntegerField(default=0, help_text="Time with the form open and in use.")
    draft_saves = models.PositiveIntegerField(default=0)
    effort = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    helpfulness = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    # The client's idempotency key for submission: the same key twice makes one entry.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        ordering = ["-practice_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "idempotency_key"], name="unique_entry_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(status="draft"),
                name="one_open_draft_per_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.practice_date} · {self.status}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class EntryReview(models.Model):
    """The therapist's review of a submitted entry. When it happened is data (review timing)."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Review of {self.entry_id} by {self.reviewer_id}"
