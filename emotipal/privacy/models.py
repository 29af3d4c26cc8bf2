"""Legal holds and retention rules (the erasure itself leaves only its audit row)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.platform.encryption import EncryptedTextField


class LegalHold(models.Model):
    """While a hold is in force a client's data is neither erased nor anonymised, whoever asks (a complaint, a
    court order, a safeguarding review). Lifting it is recorded, never deleted."""

    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="legal_holds")
    reason = EncryptedTextField()  # may name the matter: sealed like clinical notes
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(lifted_at__isnull=True), name="one_open_legal_hold"
            )
        ]

    def __str__(self) -> str:
        return f"hold on client {self.client_id} since {self.placed_at:%Y-%m-%d}"


# (least, most) for each rule; a rule left empty is off.
DRAFT_DAYS = (30, 3650)
ANONYMISE_YEARS = (1, 30)


class RetentionPolicy(models.Model):
    """A clinic's retention rules, applied every day by the retention task (privacy/retention.py).

    Both rules are off until a clinic admin sets them: removing what a client typed is never a default."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="retention_policy")
    draft_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(DRAFT_DAYS[0]), MaxValueValidator(DRAFT_DAYS[1])],
        help_text="Remove unsent drafts not touched for this many days.",
    )
    anonymise_after_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(ANONYMISE_YEARS[0]), MaxValueValidator(ANONYMISE_YEARS[1])],
        help_text="Erase clients this many years after the end of their treatment.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"retention of {self.clinic}"


class RetentionRun(models.Model):
    """What one daily run did in one clinic: the report a clinic admin reads."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="retention_runs")
    at = models.DateTimeField()
    drafts_removed = models.PositiveIntegerField(default=0)
    clients_erased = models.PositiveIntegerField(default=0)
    clients_kept_for_research = models.PositiveIntegerField(default=0)
    clients_on_hold = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"retention run {self.at:%Y-%m-%d} at {self.clinic}"
