"""Web push end to end: a local push service receives the encrypted reminder, and the test decrypts it with
the keys a browser would have made (P-256 key pair and auth secret), so the payload itself is checked."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client, TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.homework import services
from emotipal.notifications.models import Delivery, PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.notifications.push import MAX_RETRIES
from emotipal.notifications.tasks import deliver_push, deliver_reminder, deliver_reminders
from tests.factories import World, plan_for
from tests.push_sink import push_sink


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class PushService:
    """A push service on localhost that answers each POST with the next status in `answers`."""

    answers: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def next_answer(self, path: str) -> int:  # the last answer stays
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(answers=[201])
    with push_sink(service.next_answer) as sink:
        service.received, service.url = sink.received, f"{sink.url}/push/{b64(os.urandom(8))}"
        yield service


@dataclass
class Browser:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


def browser_subscribes(world: World, endpoint: str) -> Browser:
    """What a browser's pushManager.subscribe makes: a P-256 key pair and a 16-byte auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    # Stored as the subscription endpoint posts it; the endpoint refuses http, and this push service is local.
    PushSubscription.objects.create(
        client=world.client_a, endpoint=endpoint, p256dh=b64(point), auth=b64(auth)
    )
    return Browser(key, auth)


def reminder_due_now(world: World) -> ScheduledReminder:
    now = timezone.now()
    world.client_a.reminder_time = (now - dt.timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    world.client_a.timezone = "UTC"
    world.client_a.save()
    ReminderPreference.objects.create(client=world.client_a, by_push=True, by_email=False)
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=world.client_a,
        for_date=services.local_today(world.client_a),
        defaults={"run_at": now - dt.timedelta(minutes=5)},
    )
    return reminder


def run_queued_push() -> bool:
    """Run the push task the reminder queued, as the worker would (the newest one)."""
    task = DBTaskResult.objects.filter(task_path__endswith="send_push").order_by("-enqueued_at").first()
    assert task is not None
    return deliver_push(*task.args_kwargs["args"])


def test_the_push_reaches_the_service_and_decrypts_to_the_reminder(world: World, push_service) -> None:  # type: ignore[no-untyped-def]
    browser = browser_subscribes(world, push_service.url)
    reminder = reminder_due_now(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert deliver_reminder(reminder.pk) == "sent"
    assert run_queued_push() is False

    headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={settings.VAPID_PUBLIC_KEY}" in headers["authorization"]
    plain = http_ece.decrypt(
        body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
    )
    payload = json.loads(plain)
    assert payload["title"] == "EmotiPal"
    assert payload["body"] == "1 practice is waiting for you today."
    assert payload["link"].startswith(settings.SITE_URL + "/r/")

    delivery = Delivery.objects.get(reminder=reminder)
    assert (delivery.channel, delivery.status, delivery.service_status) == ("push", "delivered", 201)
    assert delivery.retries == 0 and delivery.sent_at is not None

    # Opening the link records the first opening only, then goes to Today.
    link = payload["link"].removeprefix(settings.SITE_URL)
    first = Client().get(link)
    assert first.status_code == 302 and first["Location"] == "/today/"
    reminder.refresh_from_db()
    opened = reminder.opened_at
    assert opened is not None
    Client().get(link)
    reminder.refresh_from_db()
    assert reminder.opened_at == opened


def test_a_gone_subscription_is_switched_off(world: World, push_service) -> None:  # type: ignore[no-untyped-def]
    push_service.answers = [410]
    browser_subscribes(world, push_service.url)
    reminder = reminder_due_now(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        deliver_reminder(reminder.pk)
    assert run_queued_push() is False
    sub = PushSubscription.objects.get(endpoint=push_service.url)
    assert not sub.active and sub.ended_because == "push service answered 410"
    delivery = Delivery.objects.get(reminder=reminder)
    assert (delivery.status, delivery.service_status, delivery.service_answer) == (
        "failed",
        410,
        "answer 410",
    )


def test_a_busy_service_is_retried_with_backoff_until_the_bound(world: World, push_service) -> None:  # type: ignore[no-untyped-def]
    push_service.answers = [429, 503, 201]
    browser_subscribes(world, push_service.url)
    reminder = reminder_due_now(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        deliver_reminder(reminder.pk)
    before = timezone.now()
    assert run_queued_push() is True  # 429: queued again, later
    retry = DBTaskResult.objects.filter(task_path__endswith="send_push").order_by("-enqueued_at").first()
    assert (
        retry is not None
        and retry.run_after is not None
        and retry.run_after >= before + dt.timedelta(minutes=1)
    )
    assert run_queued_push() is True  # 503
    assert run_queued_push() is False  # 201
    delivery = Delivery.objects.get(reminder=reminder)
    assert (delivery.status, delivery.retries, delivery.service_status) == ("delivered", 2, 201)

    # A service that never recovers: failed after MAX_RETRIES retries, and nothing more is queued.
    push_service.answers = [500]
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", retries=0)
    attempts = [run_queued_push() for _ in range(MAX_RETRIES + 1)]
    assert attempts == [True] * MAX_RETRIES + [False]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.retries, delivery.service_status) == ("failed", MAX_RETRIES, 500)


def test_a_batch_sends_its_pushes_itself_and_queues_only_a_retry(world: World, push_service) -> None:  # type: ignore[no-untyped-def]
    push_service.answers = [503, 201]
    browser_subscribes(world, push_service.url)
    reminder = reminder_due_now(world)
    assert deliver_reminders([reminder.pk]) == {"sent": 1}
    assert len(push_service.received) == 1  # sent in the batch's task, not a task of its own
    delivery = Delivery.objects.get(reminder=reminder)
    assert (delivery.status, delivery.retries, delivery.service_status) == ("sent", 1, 503)
    assert run_queued_push() is False  # the one task queued: the retry, which is delivered
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(push_service.received) == 2
