"""Every e-mail is written in its RECIPIENT's language, not in whatever language happens to be active
(the sender's request, or the task worker's default)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import TestCase, override_settings
from django.utils import timezone, translation

from emotipal.accounts.models import Invitation, Membership, Role
from emotipal.accounts.services import invite
from emotipal.homework import services as homework
from emotipal.measures import escalation
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument
from emotipal.measures.tasks import email_risk_alert
from emotipal.notifications.tasks import deliver_reminder, schedule_next_reminder
from tests.factories import World, make_user, plan_for


class LanguageRecordingBackend(EmailBackend):
    """The locmem backend, noting which language was active when each message was sent."""

    def send_messages(self, messages: Any) -> int:
        for message in messages:
            message.language = translation.get_language()
        return super().send_messages(messages)


def deliver_now(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Deliver a reminder and run what waits for the commit (the e-mail), as a worker's transaction would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_reminder(reminder_id, now)


RECORDING = override_settings(EMAIL_BACKEND=f"{__name__}.LanguageRecordingBackend")


def _set_language(user: Any, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _risk_alert(world: World) -> Any:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    response = measures.ask_now(world.therapist, world.client_a, phq9)
    answers = {f"phq9_{i}": 1 for i in range(1, 10)}
    alert = measures.save_answers(world.client_a.user, response.pk, answers, submit=True).alert
    assert alert is not None
    mail.outbox.clear()
    return alert


@RECORDING
def test_reminder_is_in_the_clients_language(world: World) -> None:
    _set_language(world.client_a.user, "es")
    world.client_a.reminder_time = (
        (timezone.now() - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    )
    world.client_a.timezone = "UTC"
    world.client_a.save()
    homework.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    measures.ask_now(world.therapist, world.client_a, Instrument.objects.get(key="gad7", clinic=None))
    reminder = schedule_next_reminder(world.client_a, now=timezone.now() - dt.timedelta(hours=2))
    assert reminder is not None
    mail.outbox.clear()
    with translation.override("ar"):  # the worker's active language must not leak into the e-mail
        assert deliver_now(reminder.pk) == "sent"
    [message] = mail.outbox
    assert message.language == "es"  # type: ignore[attr-defined]
    assert "Cuestionario: GAD-7" in message.body
    assert "Hoy" in message.body and "Ajustes" in message.body


@RECORDING
def test_reminder_in_english_for_an_english_client(world: World) -> None:
    world.client_a.reminder_time = (
        (timezone.now() - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    )
    world.client_a.timezone = "UTC"
    world.client_a.save()
    homework.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    reminder = schedule_next_reminder(world.client_a, now=timezone.now() - dt.timedelta(hours=2))
    assert reminder is not None
    mail.outbox.clear()
    with translation.override("es"):
        deliver_now(reminder.pk)
    [message] = mail.outbox
    assert message.language == "en"  # type: ignore[attr-defined]
    assert "Open Today" in message.body and "Settings" in message.body


@RECORDING
def test_risk_alert_is_in_the_therapists_language(world: World) -> None:
    _set_language(world.therapist, "es")
    alert = _risk_alert(world)
    with translation.override("en"):
        assert email_risk_alert.call(alert.pk) == "sent"
    [message] = mail.outbox
    assert message.to == [world.therapist.email]
    assert message.language == "es"  # type: ignore[attr-defined]
    assert "Alertas" in message.body


@RECORDING
def test_escalation_reaches_each_admin_in_their_own_language(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _set_language(world.admin, "es")
    second = make_user("admin2@example.org", "Ari Admin")
    Membership.objects.create(user=second, clinic=world.clinic, role=Role.ADMIN)  # stays English
    alert = _risk_alert(world)
    later = alert.created_at + dt.timedelta(hours=world.clinic.alert_escalation_hours, minutes=1)
    with translation.override("ar"), django_capture_on_commit_callbacks(execute=True):
        assert escalation.escalate(alert.pk, now=later) == "escalated"
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {(world.admin.email,), (second.email,)}
    spanish, english = by_recipient[(world.admin.email,)], by_recipient[(second.email,)]
    assert spanish.language == "es" and "Alertas" in spanish.body  # type: ignore[attr-defined]
    assert english.language == "en" and "Alerts page" in english.body  # type: ignore[attr-defined]


@RECORDING
def test_invitation_to_a_new_person_is_in_the_inviters_language(world: World) -> None:
    _set_language(world.therapist, "es")
    with translation.override("ar"):
        invite(
            clinic=world.clinic,
            email="new.person@example.org",
            role=Invitation.CLIENT,
            invited_by=world.therapist,
            therapist=world.therapist,
        )
    [message] = mail.outbox
    assert message.language == "es"  # type: ignore[attr-defined]
    assert "Cliente" in message.body


@RECORDING
def test_invitation_to_someone_with_an_account_is_in_their_language(world: World) -> None:
    _set_language(world.admin, "en")
    _set_language(world.foreign_therapist, "es")  # has an account in another clinic
    with translation.override("ar"):
        invite(
            clinic=world.clinic,
            email=world.foreign_therapist.email,
            role=Role.THERAPIST,
            invited_by=world.admin,
        )
    [message] = mail.outbox
    assert message.language == "es"  # type: ignore[attr-defined]
    assert "Terapeuta" in message.body
