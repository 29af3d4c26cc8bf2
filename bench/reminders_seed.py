"""Clients for the reminder benchmark: one made through the app's own actions, the rest copied from it in bulk.

Inviting 10,000 clients through the app would hash 10,000 passwords and take longer than the benchmark; the
reminder code only reads what the rows hold, so copies of one real client (profile, homework, preferences,
push subscription) are as good as the real thing for it. Every client gets e-mail; every other one also a
push subscription at the local push endpoint, so both channels are measured.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import os
from typing import TypeVar

from django.db.models import Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _browser_keys() -> tuple[str, str]:
    """What a browser's pushManager.subscribe makes: a P-256 public key and a 16-byte auth secret."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _b64(point), _b64(os.urandom(16))


def _copy_of(row: M, **changes: object) -> M:
    twin = copy.copy(row)
    twin._state = ModelState()
    twin.pk = None
    for name, value in changes.items():
        setattr(twin, name, value)
    return twin


def seed_due_reminders(n: int, push_url: str, reminder_time: dt.time) -> list[int]:
    """n clients with homework due today and a reminder of today's due now; returns the reminders' ids."""
    from django.contrib.auth.hashers import make_password

    from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
    from emotipal.homework import services as homework
    from emotipal.homework.models import Assignment
    from emotipal.library.models import TemplateVersion
    from emotipal.library.services import sync_library
    from emotipal.notifications.models import PushSubscription, ReminderPreference, ScheduledReminder
    from emotipal.platform import clock

    sync_library()
    clinic = Clinic.objects.create(name="Reminder Bench Clinic (simulated)", slug="bench-reminders")
    therapist = User.objects.create_user("therapist@reminders.bench.invalid", None, display_name="Dr Bench")
    Membership.objects.create(user=therapist, clinic=clinic, role=Role.THERAPIST)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"client{i}@reminders.bench.invalid", display_name=f"Client {i}", password=unusable)
        for i in range(n)
    )
    clients = ClientProfile.objects.bulk_create(
        ClientProfile(user=u, clinic=clinic, therapist=therapist, reminder_time=reminder_time, timezone="UTC")
        for u in users
    )
    today = clock.local_today(dt.UTC, clock.now())
    first = homework.assign_homework(
        therapist,
        clients[0],
        homework.AssignmentPlan(
            template_version=TemplateVersion.objects.filter(template__slug="thought-record").latest("pk"),
            rationale="To practise between sessions what we worked on in the session.",
            times_per_week=7,
            minutes_per_practice=10,
            start_date=today - dt.timedelta(days=1),
            end_date=today + dt.timedelta(days=14),
        ),
    )
    Assignment.objects.bulk_create(_copy_of(first, client=c) for c in clients[1:])
    ReminderPreference.objects.bulk_create(
        ReminderPreference(client=c, by_email=True, by_push=i % 2 == 0) for i, c in enumerate(clients)
    )
    p256dh, auth = _browser_keys()
    PushSubscription.objects.bulk_create(
        PushSubscription(client=c, endpoint=f"{push_url}/{i}", p256dh=p256dh, auth=auth)
        for i, c in enumerate(clients)
        if i % 2 == 0
    )
    due = clock.now() - dt.timedelta(minutes=1)
    reminders = ScheduledReminder.objects.bulk_create(
        ScheduledReminder(client=c, for_date=today, run_at=due) for c in clients
    )
    return [r.pk for r in reminders]
