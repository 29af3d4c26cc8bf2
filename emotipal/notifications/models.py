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
    # First opening through the reminder's signed link (a second opening changes nothing).
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "for_date"], name="one_reminder_per_day")]
        # A wake finds the reminders due at its moment among the unsent ones (notifications/tasks.py).
        indexes = [
            models.Index(
                fields=["run_at"], name="unsent_reminder_run_at", condition=models.Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.client_id} on {self.for_date}: {self.outcome or 'pending'}"


class ReminderPreference(models.Model):
    """How and when a client wants reminders beyond the time itself (ClientProfile.reminder_time).

    A client without a row gets what they got before there was a choice: e-mail, every day, no quiet hours."""

    ALL_DAYS = "0123456"  # Monday is 0, as datetime.date.weekday() counts

    client = models.OneToOneField(
        "accounts.ClientProfile", on_delete=models.CASCADE, related_name="reminder_preference"
    )
    by_push = models.BooleanField(default=False)
    by_email = models.BooleanField(default=True)
    weekdays = models.CharField(max_length=7, default=ALL_DAYS)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Reminder preference of {self.client_id}"


class PushSubscription(models.Model):
    """One browser's PushSubscription (endpoint and keys), as the client's browser posted it."""

    client = models.ForeignKey(
        "accounts.ClientProfile", on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)
    # Why it was switched off: the push service's status (404/410: the browser dropped it) or "removed".
    ended_because = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"Push subscription {self.pk} of {self.client_id}"


class Delivery(models.Model):
    """One reminder through one channel: sent, then delivered or failed, with the service's answer."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        PUSH = "push"

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"  # handed over, no answer yet (a retry is waiting)
        DELIVERED = "delivered"  # the push service accepted it (201) or the mail server took it
        FAILED = "failed"

    reminder = models.ForeignKey(ScheduledReminder, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subscription = models.ForeignKey(PushSubscription, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    service_status = models.IntegerField(null=True, blank=True)  # the push service's HTTP status
    service_answer = models.TextField(blank=True)  # the push service's body (shortened)
    retries = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.channel} for reminder {self.reminder_id}: {self.status}"


class CalendarFeed(models.Model):
    """A client's secret calendar address. Only the token's hash is kept, so a database copy cannot open
    anyone's calendar; a new link revokes the old one (one live feed per client)."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed {self.pk} of {self.client_id}"
