"""A client with something in every section of their data download, each text carrying a marker of its own
(so a test can tell which client's data it sees), and the secrets of their account, which must never appear."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.models import Authenticator
from django.utils import timezone

from emotipal.accounts import access
from emotipal.accounts.models import ClientProfile
from emotipal.accounts.services import create_api_token
from emotipal.homework import ladders
from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    EntryReview,
    ReminderEvent,
    RetroactiveRating,
    Reward,
    SelfReview,
    TherapistReview,
    TherapySession,
)
from emotipal.homework.services import assign_homework
from emotipal.measures.models import Instrument
from emotipal.measures.services import acknowledge_alert, ask_now, save_answers
from emotipal.notifications import feed
from emotipal.notifications.models import Delivery, PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.research.models import Study
from emotipal.support.services import send_encouragement
from tests.factories import World, complete_thought_record, plan_for
from tests.research.consent_helpers import signed
from tests.research.study_factory import make_study
from tests.support.support_factory import coach_for


@dataclass
class Filled:
    markers: list[str] = field(default_factory=list)  # texts that must appear in this client's download
    secrets: list[str] = field(default_factory=list)  # texts that must appear in nobody's download
    private: list[str] = field(default_factory=list)  # staff notes kept out of the download


def _entries(world: World, a: Assignment, marker: str, i: int, count: int, out: Filled) -> None:
    today = timezone.localdate()
    for j in range(count):
        answers = complete_thought_record()
        answers["situation"] = f"{marker} situation {i}.{j}"
        entry = Entry.objects.create(
            assignment=a,
            status=Entry.Status.SUBMITTED,
            answers=answers,
            practice_date=today - dt.timedelta(days=j),
            submitted_at=timezone.now(),
            effort=3,
            difficulty=2,
            helpfulness=3,
        )
        EntryReview.objects.create(entry=entry, reviewer=world.therapist, note=f"{marker} reply {i}.{j}")
        out.markers += [f"{marker} situation {i}.{j}", f"{marker} reply {i}.{j}"]
    Entry.objects.create(
        assignment=a, answers={"situation": f"{marker} draft {i}"}, practice_date=today, draft_saves=2
    )
    out.markers.append(f"{marker} draft {i}")


def _homework(
    world: World, client: ClientProfile, marker: str, assignments: int, entries: int, out: Filled
) -> None:
    first = TherapySession.objects.create(
        client=client, therapist=world.therapist, number=1, date=timezone.localdate() - dt.timedelta(days=7)
    )
    second = TherapySession.objects.create(
        client=client, therapist=world.therapist, number=2, date=timezone.localdate()
    )
    for i in range(assignments):
        a = assign_homework(
            world.therapist,
            client,
            plan_for(world.thought_record, goal=f"{marker} goal {i}", rationale=f"{marker} rationale {i}"),
        )
        Assignment.objects.filter(pk=a.pk).update(session=first)
        _entries(world, a, marker, i, entries, out)
        SelfReview.objects.create(
            assignment=a,
            session=second,
            ratings={"quantity": 3, "quality": 2},
            helpfulness=3,
            what_i_learned=f"{marker} learned {i}",
        )
        TherapistReview.objects.create(
            assignment=a,
            session=second,
            reviewer=world.therapist,
            ratings={"quantity": 3, "quality": 2, "mastery": 2},
            note=f"{marker} private session note {i}",
            learned=f"{marker} session learned {i}",
        )
        Barrier.objects.create(
            client=client,
            assignment=a,
            day=a.start_date,
            barrier="no_time",
            detail=f"{marker} obstacle {i}",
            strategy="smaller_step",
        )
        Reward.objects.create(assignment=a, week_start=a.start_date, description=f"{marker} reward {i}")
        ReminderEvent.objects.create(assignment=a, sent_at=timezone.now())
        out.markers += [
            f"{marker} goal {i}",
            f"{marker} rationale {i}",
            f"{marker} learned {i}",
            f"{marker} session learned {i}",
            f"{marker} obstacle {i}",
            f"{marker} reward {i}",
        ]
        out.private.append(f"{marker} private session note {i}")
    ClientProfile.objects.filter(pk=client.pk).update(discharged_on=timezone.localdate())
    RetroactiveRating.objects.create(
        client=client,
        rater_role="client",
        rater=client.user,
        quantity=3,
        quality=3,
        note=f"{marker} look back",
    )
    RetroactiveRating.objects.create(
        client=client,
        rater_role="therapist",
        rater=world.therapist,
        quantity=2,
        quality=2,
        note=f"{marker} private look back",
    )
    ladder = ladders.create_ladder(world.therapist, client, f"{marker} ladder")
    step = ladders.add_step(world.therapist, ladder.pk, f"{marker} step", 40)
    ladders.split_step(world.therapist, step.pk, [(f"{marker} smaller step", 20)])
    out.markers += [f"{marker} look back", f"{marker} ladder", f"{marker} step", f"{marker} smaller step"]
    out.private.append(f"{marker} private look back")


def _measures(world: World, client: ClientProfile, marker: str, out: Filled) -> None:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    response = ask_now(world.therapist, client, phq9)
    answers = {f"phq9_{i}": 2 for i in range(1, 10)}  # 18: moderately severe; item 9 answered, so an alert
    result = save_answers(client.user, response.pk, answers, submit=True)
    assert result.alert is not None
    acknowledge_alert(world.therapist, result.alert.pk, f"{marker} private alert note")
    out.private.append(f"{marker} private alert note")


def _reminders(client: ClientProfile, marker: str, out: Filled) -> None:
    ReminderPreference.objects.create(client=client, by_push=True, weekdays="0246")
    reminder = ScheduledReminder.objects.create(
        client=client,
        for_date=timezone.localdate(),
        run_at=timezone.now(),
        sent_at=timezone.now(),
        outcome="sent",
    )
    push = PushSubscription.objects.create(
        client=client,
        endpoint=f"https://push.example.org/send/{marker}-endpoint-secret",
        p256dh=f"{marker}-p256dh-secret",
        auth=f"{marker}-auth-secret",
    )
    Delivery.objects.create(reminder=reminder, channel="push", subscription=push, status="delivered")
    token = feed.new_feed(client.user, client)
    out.secrets += [f"{marker}-endpoint-secret", f"{marker}-p256dh-secret", f"{marker}-auth-secret", token]
    out.markers.append("push.example.org")


def _account(world: World, client: ClientProfile, marker: str, out: Filled) -> None:
    new = create_api_token(client.user, f"{marker} token")
    Authenticator.objects.create(
        user=client.user, type=Authenticator.Type.TOTP, data={"secret": f"{marker}TOTPSECRET"}
    )
    out.secrets += [new.secret, new.token.token_hash, f"{marker}TOTPSECRET", client.user.password]
    out.markers.append(f"{marker} token")
    # A staff read of the client's page: the download says who has seen their data.
    access.note_reads(world.colleague, [client], "clients")
    out.markers.append(world.colleague.display_name)


def _support_and_research(
    world: World, client: ClientProfile, marker: str, study_slug: str, out: Filled
) -> None:
    coach, link = coach_for(client, email=f"coach.{marker.lower()}@example.org", share_days=True)
    send_encouragement(coach, link.pk, f"{marker} well done")
    out.markers += [f"{marker} well done", f"coach.{marker.lower()}@example.org"]
    out.secrets.append(link.token_hash)
    study = Study.objects.filter(slug=study_slug).first() or make_study(world, study_slug)
    signed(world, study, client, scopes=("data", "free_text"))
    out.secrets.append(study.pseudonym_key)
    out.markers.append(study.title)


def fill(
    world: World,
    client: ClientProfile,
    marker: str,
    *,
    assignments: int = 1,
    entries: int = 1,
    study_slug: str = "download-study",
) -> Filled:
    out = Filled()
    _homework(world, client, marker, assignments, entries, out)
    _measures(world, client, marker, out)
    _reminders(client, marker, out)
    _account(world, client, marker, out)
    _support_and_research(world, client, marker, study_slug, out)
    client.refresh_from_db()
    return out


def profile_of(client: ClientProfile) -> Any:
    """The profile as a request gets it (accounts/access.py own_client_profile)."""
    return access.own_client_profile(client.user)
