"""A batch of reminders is sent in bulk (notifications/services.send_reminders): its queries do not grow with
its size, it writes exactly the rows that sending its reminders one at a time writes, and two workers given
the same reminders still send each one once."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.accounts.models import ClientProfile, User
from emotipal.homework import plan_changes, services
from emotipal.homework.models import Assignment, ReminderEvent
from emotipal.measures.models import Instrument
from emotipal.measures.services import ask_now
from emotipal.notifications.links import reminder_id_from
from emotipal.notifications.models import Delivery, PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.notifications.tasks import deliver_pushes, deliver_reminder, deliver_reminders
from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent
from emotipal.research import mrt
from emotipal.research.models import DecisionPoint, ExperimentKind, Participant, ParticipantState
from tests.factories import World, plan_for
from tests.push_sink import push_sink
from tests.research.experiment_factory import enrol, make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

GONE = "gone"  # an endpoint whose path holds this answers 410 (the browser dropped the subscription)


@pytest.fixture
def push_service() -> Iterator[str]:
    """A push service on localhost: 201 for every push, 410 for an endpoint under /gone/."""
    with push_sink(lambda path: 410 if f"/{GONE}/" in path else 201) as sink:
        yield sink.url


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def subscribe(client: ClientProfile, endpoint: str) -> None:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    PushSubscription.objects.create(
        client=client, endpoint=endpoint, p256dh=b64(point), auth=b64(os.urandom(16))
    )


def new_client(world: World, name: str, now: dt.datetime, **pref: Any) -> ClientProfile:
    """A client in UTC whose reminder time has just passed, with homework due today and a reminder due."""
    user = User.objects.create(email=f"{name}@example.org", display_name=name.capitalize())
    client = ClientProfile.objects.create(
        user=user,
        clinic=world.clinic,
        therapist=world.therapist,
        timezone="UTC",
        reminder_time=(now - dt.timedelta(minutes=5)).time().replace(second=0, microsecond=0),
    )
    if pref:
        ReminderPreference.objects.create(client=client, **pref)
    services.assign_homework(world.therapist, client, plan_for(world.thought_record))
    return client


def due(client: ClientProfile, now: dt.datetime, **values: Any) -> ScheduledReminder:
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=client,
        for_date=services.local_today(client),
        defaults={"run_at": now - dt.timedelta(minutes=5), "task_id": "", **values},
    )
    return reminder


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The project's clock stopped (both ways of sending then stamp every row alike)."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: now)
    return now


# --- a batch's queries ---------------------------------------------------------------------------------------


def queries_for_a_batch(world: World, n: int, now: dt.datetime, push: str, prefix: str) -> int:
    """The queries of a batch of n reminders (every other client also by push), e-mails and pushes included."""
    clients = [new_client(world, f"{prefix}{i}", now, by_email=True, by_push=i % 2 == 0) for i in range(n)]
    for i, client in enumerate(clients[::2]):
        subscribe(client, f"{push}/push/{prefix}{i}")
    ids = [due(client, now).pk for client in clients]
    with CaptureQueriesContext(connection) as seen, TestCase.captureOnCommitCallbacks(execute=True):
        assert deliver_reminders(ids, now) == {"sent": n}
    assert Delivery.objects.filter(reminder_id__in=ids, status="delivered").count() == n + (n + 1) // 2
    return len(seen.captured_queries)


def test_a_batchs_queries_do_not_grow_with_its_size(
    world: World, push_service: str, frozen: dt.datetime
) -> None:
    # A first batch fills the process's caches (content types after an earlier test's flush, say), so the
    # two measured ones count only their own queries.
    queries_for_a_batch(world, 1, frozen, push_service, "warm")
    few = queries_for_a_batch(world, 5, frozen, push_service, "few")
    many = queries_for_a_batch(world, 50, frozen, push_service, "many")
    assert few == many, (few, many)
    assert many <= 25, many


def test_a_batch_of_trial_participants_asks_no_more_queries_per_participant(
    world: World, frozen: dt.datetime
) -> None:
    experiment = make_experiment(
        make_study(world), (), slug="timing", kind=ExperimentKind.MRT, title="Reminder timing",
        mrt_probability={"constant": 0.5}, mrt_window_minutes=60, seed=7,
    )  # fmt: skip

    def batch(n: int, prefix: str) -> int:
        """At least n participants, and more until the batch holds both a treated and an untreated point: a
        batch whose draws all fell one way skips the other way's writes (one query fewer), which made the
        comparison fail in about one run in sixteen (each participant's draw depends on its id and the day)."""
        clients: list[ClientProfile] = []
        treated: set[bool] = set()
        while len(clients) < n or len(treated) < 2:
            client = new_client(world, f"{prefix}{len(clients)}", frozen)
            participant = make_participant(world, experiment.study, client)
            enrol(participant)
            clients.append(client)
            day = clock.local_date(frozen, clock.zone_for_client(client))
            treated.add(mrt.uniform_draw(experiment.seed, participant.pk, day) < 0.5)
        ids = [due(client, frozen).pk for client in clients]
        with CaptureQueriesContext(connection) as seen, TestCase.captureOnCommitCallbacks(execute=True):
            deliver_reminders(ids, frozen)
        points = DecisionPoint.objects.filter(participant__client__in=clients, available=True)
        assert points.count() == len(clients)
        assert set(points.values_list("treated", flat=True)) == {True, False}  # as predicted above
        # Each available point's settlement is a task of its own (on RQ a Redis call, here a row each).
        tasks = [q for q in seen.captured_queries if DBTaskResult._meta.db_table in q["sql"]]
        assert len(tasks) == len(clients)
        return len(seen.captured_queries) - len(clients)

    batch(1, "warm")  # fills the process's caches first (as in the test above)
    assert batch(5, "few") == batch(50, "many")


# --- the same rows as one at a time --------------------------------------------------------------------------


class Undo(Exception):
    """Raised to roll back one way of sending, once its rows are read."""


def outcome_of(send: Callable[[], object]) -> dict[str, Any]:
    """Everything a way of sending leaves behind (rows, e-mails, tasks), then all of it rolled back."""
    before = {
        "audit": AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "tasks": set(DBTaskResult.objects.values_list("id", flat=True)),
    }
    mail.outbox.clear()
    seen: dict[str, Any] = {}
    try:
        with transaction.atomic():
            with TestCase.captureOnCommitCallbacks(execute=True):
                seen["result"] = send()
            seen.update(rows(before))
            raise Undo
    except Undo:
        pass
    return seen


def rows(before: dict[str, Any]) -> dict[str, Any]:
    points = {p.pk: (p.participant_id, p.day) for p in DecisionPoint.objects.all()}
    return {
        "reminders": sorted(
            ScheduledReminder.objects.values_list(
                "client__user__email", "for_date", "run_at", "sent_at", "outcome", "task_id"
            ).order_by("client__user__email", "for_date"),
            key=str,
        ),
        "deliveries": sorted(
            Delivery.objects.values_list(
                "reminder__client__user__email",
                "channel",
                "subscription__endpoint",
                "status",
                "sent_at",
                "finished_at",
                "service_status",
                "service_answer",
                "retries",
            ),
            key=str,
        ),
        "events": sorted(ReminderEvent.objects.values_list("assignment_id", "sent_at"), key=str),
        "subscriptions": sorted(PushSubscription.objects.values_list("endpoint", "active", "ended_because")),
        "points": sorted(
            DecisionPoint.objects.values_list(
                "participant_id",
                "day",
                "at",
                "available",
                "unavailable_reason",
                "probability",
                "draw",
                "treated",
                "sent",
                "window_minutes",
            ),
            key=str,
        ),
        "audit": sorted(
            (
                e.action,
                e.target_type,
                points.get(int(e.target_id)) if e.target_type == "research.decisionpoint" else e.target_id,
                e.subject_user_id,
                e.actor_id,
                e.clinic_id,
                e.detail,
                e.sealed_detail,
            )
            for e in AuditEvent.objects.filter(pk__gt=before["audit"])
        ),
        "mail": sorted(
            (m.to, m.subject, re.sub(r"/r/([^/\s]+)/?", lambda t: f"/r/{reminder_id_from(t[1])}/", m.body))
            for m in mail.outbox
        ),
        "tasks": sorted(
            (t.task_path, t.run_after, len(t.args_kwargs["args"]))
            for t in DBTaskResult.objects.exclude(id__in=before["tasks"])
        ),
    }


def mixed_batch(world: World, now: dt.datetime, push: str) -> list[int]:
    """Reminders of every kind a batch meets, in one batch."""
    study = make_study(world)
    trial = make_experiment(
        study, (), slug="timing", kind=ExperimentKind.MRT, title="Reminder timing",
        mrt_probability={"constant": 0.5}, mrt_window_minutes=60, seed=20260310,
    )  # fmt: skip
    arms = make_experiment(study)
    email_only = new_client(world, "email", now)
    push_only = new_client(world, "push", now, by_email=False, by_push=True)
    subscribe(push_only, f"{push}/push/one")
    gone = new_client(world, "gone", now, by_email=True, by_push=True)
    subscribe(gone, f"{push}/{GONE}/two")
    subscribe(gone, f"{push}/push/three")
    no_channel = new_client(world, "nochannel", now, by_email=False, by_push=False)
    start = (now - dt.timedelta(hours=1)).time()
    quiet = new_client(world, "quiet", now, quiet_start=start, quiet_end=(now + dt.timedelta(hours=1)).time())
    paused = new_client(world, "paused", now)
    plan_changes.pause(world.therapist, Assignment.objects.get(client=paused).pk)
    ended = new_client(world, "ended", now)
    plan_changes.stop(world.therapist, Assignment.objects.get(client=ended).pk)
    discharged = new_client(world, "discharged", now)
    ClientProfile.objects.filter(pk=discharged.pk).update(discharged_on=now.date())
    other_day = new_client(world, "otherday", now, weekdays=str((now.weekday() + 1) % 7))
    questionnaire = new_client(world, "questionnaire", now)
    ask_now(world.therapist, questionnaire, Instrument.objects.get(key="gad7", clinic=None))
    off = new_client(world, "off", now)
    place_in_arm(arms, make_participant(world, study, off), "off")
    withdrawn = new_client(world, "withdrawn", now)
    make_participant(world, study, withdrawn, state=ParticipantState.WITHDRAWN)
    randomised = [new_client(world, f"trial{i}", now) for i in range(6)]
    for client in [*randomised, quiet, paused]:
        enrol(make_participant(world, trial.study, client))
    # A probability between the third and fourth of the six draws: three randomised to a reminder, three not.
    draws = sorted(
        mrt.uniform_draw(trial.seed, p.pk, now.date())
        for p in Participant.objects.filter(client__in=randomised)
    )
    trial.mrt_probability = {"constant": (draws[2] + draws[3]) / 2}
    trial.save(update_fields=["mrt_probability"])
    inactive = new_client(world, "inactive", now)
    User.objects.filter(pk=inactive.user_id).update(is_active=False)
    enrol(make_participant(world, trial.study, inactive))
    clients = [email_only, push_only, gone, no_channel, quiet, paused, ended, discharged, other_day]
    clients += [questionnaire, off, withdrawn, *randomised, inactive]
    ids = [due(client, now).pk for client in clients]
    ids.append(due(world.client_a, now, sent_at=now - dt.timedelta(minutes=1), outcome="sent").pk)
    ids.append(due(world.client_b, now, run_at=now + dt.timedelta(hours=1)).pk)  # moved later: superseded
    return [*ids, ids[0]]  # and one reminder twice


def test_a_mixed_batch_writes_exactly_what_one_at_a_time_writes(
    world: World, push_service: str, frozen: dt.datetime
) -> None:
    ids = mixed_batch(world, frozen, push_service)
    alone = outcome_of(lambda: [deliver_reminder(i, frozen, push=deliver_pushes) for i in ids])
    batch = outcome_of(lambda: deliver_reminders(ids, frozen))
    counted: dict[str, int] = {}
    for outcome in alone.pop("result"):
        counted[outcome] = counted.get(outcome, 0) + 1
    assert batch.pop("result") == counted
    assert set(counted) == {
        "sent", "nothing due", "not a chosen day", "off in experiment", "already sent", "superseded",
        "not randomised to send",
    }  # fmt: skip
    for kind, found in alone.items():
        # Wake task ids differ between the two runs; each reminder still has one, or none, alike.
        if kind == "reminders":
            found = [(*r[:5], bool(r[5])) for r in found]
            batch[kind] = [(*r[:5], bool(r[5])) for r in batch[kind]]
        assert batch[kind] == found, kind
    gone = [s for s in alone["subscriptions"] if GONE in s[0]]
    assert gone[0][1:] == (False, "push service answered 410")
    reasons = {p[4] for p in alone["points"]}
    assert {"quiet hours", "nothing planned", "paused", ""} <= reasons
    assert len(alone["mail"]) == 9  # e-mail, gone, quiet, questionnaire, withdrawn, inactive, 3 randomised


# --- two workers ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_batch_send_each_reminder_once(world: World, push_service: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no row locks, its writers wait for each other whole")
    now = timezone.now()
    clients = [new_client(world, f"c{i}", now, by_email=True, by_push=True) for i in range(20)]
    for i, client in enumerate(clients):
        subscribe(client, f"{push_service}/push/{i}")
    ids = [due(client, now).pk for client in clients]
    results: list[dict[str, int]] = []
    gate = threading.Barrier(2)

    def worker(order: list[int]) -> None:
        try:
            gate.wait()
            results.append(deliver_reminders(order))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(o,)) for o in (ids, ids[5:] + ids[:5])]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    sent = sum(r.get("sent", 0) for r in results)
    assert sent == 20 and sum(r.get("already sent", 0) for r in results) == 20, results
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.user.email for c in clients)
    assert Delivery.objects.filter(channel="push").count() == 20
    assert Delivery.objects.filter(status="delivered").count() == 40
    assert ScheduledReminder.objects.filter(for_date__gt=now.date()).count() == 20
