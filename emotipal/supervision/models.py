"""A supervisor's rating of a supervisee's homework practice on one piece of work (the observer form)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from emotipal.platform.encryption import EncryptedTextField


class ObserverRating(models.Model):
    """Ratings 0-4 on the three phases (definitions.competence.OBSERVER_ITEMS) of one assignment's setting, or
    of one session's homework practice. Two raters of the same work give the agreement figures."""

    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(
        "homework.Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "homework.TherapySession", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    review = models.PositiveSmallIntegerField()
    design = models.PositiveSmallIntegerField()
    plan = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True, default="")  # may describe the client: sealed like other notes
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assignment__isnull=False, session__isnull=True)
                | models.Q(assignment__isnull=True, session__isnull=False),
                name="observer_rating_one_piece_of_work",
            ),
            models.UniqueConstraint(
                fields=["rater", "assignment"],
                condition=models.Q(assignment__isnull=False),
                name="one_rating_per_rater_per_assignment",
            ),
            models.UniqueConstraint(
                fields=["rater", "session"],
                condition=models.Q(session__isnull=False),
                name="one_rating_per_rater_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"rating {self.pk} of {self.therapist_id} by {self.rater_id}"

    def score(self, phase: str) -> int:
        return int(getattr(self, phase))

    @property
    def work_key(self) -> tuple[str, int]:
        """The piece of work rated: ("assignment", id) or ("session", id)."""
        if self.assignment_id is not None:
            return ("assignment", self.assignment_id)
        assert self.session_id is not None
        return ("session", self.session_id)
