"""The tamper-evident chain over the audit trail.

Rows are written freely (one INSERT each, as before); a sealer then takes the rows not sealed yet, in id
order, and gives each a seal: HMAC-SHA256, under a key that is not in the database, of the row's content and
of the previous seal's digest. `verify` walks the seals and names the first row whose content no longer
matches, that is gone, or whose seal does not follow the one before. Editing a row, deleting one, or
rewriting the chain without the key all show.

The key is EMOTIPAL_AUDIT_CHAIN_KEY (by default derived from SECRET_KEY): rotating SECRET_KEY without keeping
the chain key makes every old seal fail, so production sets its own chain key and keeps it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from emotipal.platform.audit.models import AuditEvent, AuditSeal

BATCH = 2000
# Rows younger than this may still be in a transaction that has not committed; older unsealed rows are
# reported by the check (the sealer has not run, or a row was slipped in under an old id).
SEAL_GRACE = dt.timedelta(hours=1)


def _key() -> bytes:
    explicit = getattr(settings, "AUDIT_CHAIN_KEY", "")
    if explicit:
        return str(explicit).encode()
    return hashlib.sha256(b"emotipal.audit-chain:" + settings.SECRET_KEY.encode()).digest()


def content_of(event: AuditEvent) -> bytes:
    """Everything the row says, as canonical JSON (the sealed detail decrypted, so re-encrypting it under a
    new field key changes nothing)."""
    return json.dumps(
        {
            "id": event.pk,
            "at": event.at.astimezone(dt.UTC).isoformat(),
            "actor": event.actor_id,
            "action": event.action,
            "target": [event.target_type, event.target_id],
            "subject": event.subject_user_id,
            "clinic": event.clinic_id,
            "detail": event.detail,
            "sealed": event.sealed_detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    ).encode()


def digest_of(event: AuditEvent, previous_digest: str) -> str:
    return hmac.new(_key(), previous_digest.encode() + b"\n" + content_of(event), hashlib.sha256).hexdigest()


def _unsealed() -> Any:
    return AuditEvent.objects.filter(~Exists(AuditSeal.objects.filter(event_id=OuterRef("pk")))).order_by(
        "pk"
    )


def seal_pending(limit: int = 50_000) -> int:
    """Seal rows not sealed yet, oldest id first, in batches; how many were sealed. Safe to run in several
    processes at once: a lost race is an IntegrityError on the unique `previous`, and the batch is retried."""
    sealed = 0
    while sealed < limit:
        try:
            done = _seal_batch(min(BATCH, limit - sealed))
        except IntegrityError:
            continue  # another sealer took this place in the chain; start again from its last seal
        if done == 0:
            break
        sealed += done
    return sealed


def _seal_batch(size: int) -> int:
    with transaction.atomic():
        last = AuditSeal.objects.order_by("-pk").first()
        events = list(_unsealed()[:size])
        previous = last
        for event in events:
            previous = AuditSeal.objects.create(
                event_id=event.pk,
                previous=previous,
                first=previous is None,
                digest=digest_of(event, previous.digest if previous else ""),
            )
    return len(events)


@dataclass(frozen=True)
class Break:
    seal_id: int
    event_id: int
    reason: str
    at: dt.datetime | None = None
    action: str = ""

    def describe(self) -> str:
        when = f" of {self.at:%Y-%m-%d %H:%M:%S} UTC" if self.at else ""
        what = f" ({self.action})" if self.action else ""
        return f"audit row {self.event_id}{when}{what}, seal {self.seal_id}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: Break | None
    unsealed_old: int
    head: str  # the last digest: written down elsewhere, it also shows a chain cut short or rebuilt

    @property
    def intact(self) -> bool:
        return self.first_break is None and self.unsealed_old == 0


def _seals() -> Iterator[list[AuditSeal]]:
    after = 0
    while True:
        chunk = list(AuditSeal.objects.filter(pk__gt=after).order_by("pk")[:BATCH])
        if not chunk:
            return
        yield chunk
        after = chunk[-1].pk


def verify(now: dt.datetime | None = None) -> ChainReport:
    """Walk every seal in order; stop at the first that does not hold."""
    checked = 0
    previous: AuditSeal | None = None
    for chunk in _seals():
        events = AuditEvent.objects.in_bulk([s.event_id for s in chunk])
        for seal in chunk:
            event = events.get(seal.event_id)
            problem = _problem(seal, previous, event)
            if problem:
                found = Break(
                    seal.pk,
                    seal.event_id,
                    problem,
                    event.at if event else None,
                    event.action if event else "",
                )
                return ChainReport(checked, found, 0, previous.digest if previous else "")
            checked += 1
            previous = seal
    cutoff = (now or dt.datetime.now(dt.UTC)) - SEAL_GRACE
    old = _unsealed().filter(at__lt=cutoff).count()
    return ChainReport(checked, None, old, previous.digest if previous else "")


def _problem(seal: AuditSeal, previous: AuditSeal | None, event: AuditEvent | None) -> str:
    expected_previous = previous.pk if previous else None
    if seal.previous_id != expected_previous or seal.first != (previous is None):
        return "the seal does not follow the one before it (a seal was removed or inserted)"
    if event is None:
        return "the row was deleted"
    if not hmac.compare_digest(seal.digest, digest_of(event, previous.digest if previous else "")):
        return "the row was changed after it was sealed"
    return ""
