"""The audit trail: who saw or changed what, and when. Rows are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from emotipal.platform.encryption import EncryptedJSONField


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # The client whose data was touched, when there is one: answers "who looked at my data?".
    subject_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    # Only keys known to carry no clinical content stay readable (audit/services.py PLAIN_DETAIL_KEYS: the
    # language chosen, a role, a session number, ...); every other detail, e.g. a barrier's code, an assigned
    # exercise or a discharge date, goes into `sealed_detail`, encrypted like the data it describes.
    detail = models.JSONField(default=dict, blank=True)
    sealed_detail = EncryptedJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.target_type}:{self.target_id}"
