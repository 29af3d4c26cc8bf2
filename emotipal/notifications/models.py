"""Reminders that have been scheduled or sent, so that each one goes out at most once."""

from __future__ import annotations

from django.db import models


class ScheduledReminder(models.Model):
    """One daily homework reminder for one client. The row makes scheduling and sending idempotent."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="+")
    for_date = models.DateField()
    run_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "for_date"], name="one_reminder_per_day")]

    def __str__(self) -> str:
        return f"Reminder for {self.client_id} on {self.for_date}: {self.outcome or 'pending'}"
