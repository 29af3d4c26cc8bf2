"""Web push (VAPID, aes128gcm) of one reminder to one browser subscription, and what the service answered.

The push service's status decides what happens next: 201 delivered; 404/410 the browser dropped the
subscription, so it is switched off; 429 and 5xx are worth another try later (the caller queues it, with
backoff, bounded by MAX_RETRIES); any other status is a failure that a retry would not fix."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from pywebpush import WebPushException, webpush

from emotipal.notifications.models import Delivery
from emotipal.platform import clock
from emotipal.platform.audit.services import event_for, record_each
from emotipal.platform.bulk import update_each

log = logging.getLogger(__name__)

MAX_RETRIES = 4
GONE = (404, 410)
ANSWER_CHARS = 2000
TIMEOUT_SECONDS = 10


def backoff(retries: int) -> dt.timedelta:
    """1, 4, 16, 64 minutes: a busy push service gets room, and the reminder is still useful the same day."""
    return dt.timedelta(minutes=4**retries)


def retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


@dataclass(frozen=True)
class Payload:
    title: str
    body: str
    link: str

    def as_json(self) -> str:
        return json.dumps({"title": self.title, "body": self.body, "link": self.link})


def post(delivery: Delivery, payload: Payload) -> tuple[int | None, str]:
    """Encrypt and post the payload to the subscription's push service: its status and body."""
    sub = delivery.subscription
    assert sub is not None
    try:
        response = webpush(
            subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=payload.as_json(),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            content_encoding="aes128gcm",
            timeout=TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        if exc.response is None:
            return None, str(exc)[:ANSWER_CHARS]
        return exc.response.status_code, exc.response.text[:ANSWER_CHARS]
    except OSError as exc:  # the push service could not be reached: worth a retry
        return None, str(exc)[:ANSWER_CHARS]
    return response.status_code, response.text[:ANSWER_CHARS]


def push_once(delivery_id: int, payload: Payload) -> bool:
    """Post one attempt and store its answer; True when another attempt should be queued."""
    return delivery_id in push_many([(delivery_id, payload)])


def push_many(jobs: Sequence[tuple[int, Payload]]) -> dict[int, int]:
    """Post one attempt of each delivery and store the answers (a batch's deliveries read in one query and
    written in one transaction); the deliveries to try again, with their retries so far.

    A delivery whose post raised something unforeseen (a malformed key) is logged and left queued, as the
    rest of the batch goes on."""
    deliveries = Delivery.objects.select_related("subscription__client").in_bulk([pk for pk, _ in jobs])
    answered: list[tuple[Delivery, int | None, str, dt.datetime]] = []
    ended: list[Delivery] = []
    for delivery_id, payload in jobs:
        delivery = deliveries[delivery_id]
        if delivery.status in (Delivery.Status.DELIVERED, Delivery.Status.FAILED):
            continue
        sub = delivery.subscription
        if sub is None or not sub.active:
            ended.append(delivery)
            continue
        try:
            status, answer = post(delivery, payload)
        except Exception:  # one subscription's fault must not keep the rest of the batch from their clients
            log.exception("push delivery %s failed; it stays queued", delivery_id)
            continue
        answered.append((delivery, status, answer, clock.now()))
    if ended:
        Delivery.objects.filter(pk__in=[d.pk for d in ended]).update(
            status=Delivery.Status.FAILED, finished_at=clock.now(), service_answer="subscription ended"
        )
    return _store(answered)


def _store(answered: list[tuple[Delivery, int | None, str, dt.datetime]]) -> dict[int, int]:
    """Each delivery's answer, and the subscriptions the service says are gone switched off (audited), in
    one transaction; the deliveries to try again, with their retries so far."""
    again: dict[int, int] = {}
    gone = []
    for delivery, status, answer, now in answered:
        delivery.service_status = status
        delivery.service_answer = answer
        delivery.sent_at = delivery.sent_at or now
        if status is not None and 200 <= status < 300:
            delivery.status = Delivery.Status.DELIVERED
            delivery.finished_at = now
        elif retryable(status) and delivery.retries < MAX_RETRIES:
            delivery.status = Delivery.Status.SENT
            delivery.retries += 1
            again[delivery.pk] = delivery.retries
        else:
            delivery.status = Delivery.Status.FAILED
            delivery.finished_at = now
        if status in GONE and delivery.subscription is not None:
            sub = delivery.subscription
            sub.active = False
            sub.ended_because = f"push service answered {status}"
            gone.append(sub)
    if not answered:
        return again
    with transaction.atomic():
        update_each([d for d, *_ in answered], STORED)
        if gone:
            update_each(gone, ["active", "ended_because"])
            record_each(
                event_for(None, "push_subscription.ended", sub, subject_user_id=sub.client.user_id)
                for sub in gone
            )
    return again


# What an attempt changes on its delivery row.
STORED = ["service_status", "service_answer", "sent_at", "status", "finished_at", "retries"]
