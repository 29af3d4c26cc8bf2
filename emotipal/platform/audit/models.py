"""The audit trail: who saw or changed what, and when. Rows are only ever added.

The application cannot change or remove a row (AuditEvent refuses save-again, delete, and queryset update and
delete). What a database administrator might still do out of band is caught by the chain of seals
(audit/chain.py): each seal holds a keyed hash of one row and of the seal before it."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from emotipal.platform.encryption import EncryptedJSONField


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove an audit row or a seal through the application."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are never deleted")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted")


class AuditEvent(AppendOnly):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # DO_NOTHING without a database constraint: removing an account leaves its id in the trail, as it was
    # (SET_NULL would rewrite rows that are never to be rewritten).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
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


class AuditSeal(AppendOnly):
    """One link of the chain: a keyed hash (HMAC-SHA256) of one audit row and of the seal before it.

    `previous` is unique, so the chain cannot fork: two sealers racing for the same place, one fails and
    tries again. The row is named by id only (no foreign key): a row removed behind the application's back
    leaves its seal, and the check reports it."""

    event_id = models.BigIntegerField(unique=True)
    previous = models.OneToOneField(
        "self", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    # The first seal has no previous one; only one seal may be first (NULLs are not unique by themselves).
    first = models.BooleanField(default=False)
    digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first"], condition=models.Q(first=True), name="one_first_seal")
        ]

    def __str__(self) -> str:
        return f"Seal {self.pk} of audit row {self.event_id}"
