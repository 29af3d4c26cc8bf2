"""A client's support person ("coach"): the link between them, what the client shares, and encouragement.

One row per invitation: it is a pending invitation until someone accepts it (then `coach` is set) and ends
when the client withdraws the invitation or removes the support person. Only the token's hash is kept, so a
database copy cannot be used to accept anyone's invitation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from emotipal.accounts.models import Invitation
from emotipal.platform.encryption import EncryptedTextField


class SupportLink(models.Model):
    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="+")
    # What the client called the person, and where the invitation went (the client typed both).
    name = models.CharField(max_length=120)
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Withdrawn before acceptance, or the support person removed after it: either way the link grants nothing.
    ended_at = models.DateTimeField(null=True, blank=True)
    # What the client chose to share; nothing unless ticked.
    share_days = models.BooleanField(default=False)
    share_goal = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # One support person (or one open invitation) at a time: simpler for the client to keep track of.
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(ended_at__isnull=True), name="one_open_support_link"
            )
        ]

    def __str__(self) -> str:
        return f"Support link {self.pk} of client {self.client_id}"

    # The same one-use token scheme as a clinic invitation: only the hash is stored.
    hash_token = staticmethod(Invitation.hash_token)
    new_token = staticmethod(Invitation.new_token)

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.coach_id is not None


class Encouragement(models.Model):
    """A short message a support person sent to the client, shown on the client's Today until dismissed."""

    link = models.ForeignKey(SupportLink, on_delete=models.CASCADE, related_name="encouragements")
    # Encrypted like every free text about a client: it may well mention how they are doing.
    text = EncryptedTextField()
    sent_at = models.DateTimeField(db_index=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Encouragement {self.pk} on link {self.link_id}"
