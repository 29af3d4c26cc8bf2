"""Web push (VAPID, aes128gcm) of one reminder to one browser subscription, and what the service answered.

The push service's status decides what happens next: 201 delivered; 404/410 the browser dropped the
subscription, so it is switched off; 429 and 5xx are worth another try later (the caller queues it, with
backoff, bounded by MAX_RETRIES); any other status is a failure that a retry would not fix."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from pywebpush import WebPushException, webpush

from emotipal.notifications.models import Delivery
from emotipal.platform import clock
from emotipal.platform.audit.services import record

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
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    if delivery.status in (Delivery.Status.DELIVERED, Delivery.Status.FAILED):
        return False
    sub = delivery.subscription
    if sub is None or not sub.active:
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.FAILED, finished_at=clock.now(), service_answer="subscription ended"
        )
        return False
    status, answer = post(delivery, payload)
    now = clock.now()
    again = retryable(status) and delivery.retries < MAX_RETRIES
    with transaction.atomic():
        delivery.service_status = status
        delivery.service_answer = answer
        delivery.sent_at = delivery.sent_at or now
        if status is not None and 200 <= status < 300:
            delivery.status = Delivery.Status.DELIVERED
            delivery.finished_at = now
        elif again:
            delivery.status = Delivery.Status.SENT
            delivery.retries += 1
        else:
            delivery.status = Delivery.Status.FAILED
            delivery.finished_at = now
        delivery.save()
        if status in GONE:
            sub.active = False
            sub.ended_because = f"push service answered {status}"
            sub.save(update_fields=["active", "ended_because"])
            record(None, "push_subscription.ended", sub, subject_user_id=sub.client.user_id)
    return again
