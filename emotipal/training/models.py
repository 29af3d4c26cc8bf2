"""Training mode: simulated vignettes and the attempts made on them. Nothing here is about a real client."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Vignette(models.Model):
    """One simulated client (emotipal/analysis/vignettes.py), rebuilt the same from its profile and seed."""

    profile = models.CharField(max_length=60, unique=True)
    seed = models.PositiveIntegerField()
    title = models.CharField(max_length=200)  # English source text; translated where shown
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class TrainingAttempt(models.Model):
    """A trainee's review of the last homework and the next homework they set, scored against the steps."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_attempts"
    )
    vignette = models.ForeignKey(Vignette, on_delete=models.CASCADE, related_name="attempts")
    answers = models.JSONField()  # the form's cleaned values, as plain JSON
    done = models.JSONField(default=list)  # step keys done, in guideline order
    not_applicable = models.JSONField(default=list)
    scores = models.JSONField(default=dict)  # phase -> {"done": n, "applicable": n}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["trainee", "created_at"])]

    def __str__(self) -> str:
        return f"Attempt {self.pk} on {self.vignette_id} by {self.trainee_id}"
