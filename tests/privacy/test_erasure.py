"""Erasing a client: everything goes when no study may keep anything; a study that keeps data under its
protocol keeps it without the name; a legal hold stops it; the audit says what was done."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from emotipal.accounts.models import ClientProfile, User
from emotipal.homework.models import Assignment, Entry
from emotipal.measures import verdicts
from emotipal.measures.models import Response, SeriesVerdict
from emotipal.notifications.models import ReminderPreference
from emotipal.platform.audit.models import AuditEvent
from emotipal.privacy import erasure, holds
from emotipal.privacy.erasure_plan import plan_for
from emotipal.research import consent_rules
from emotipal.research.models import ConsentRecord, Participant, ParticipantState
from tests.factories import PASSWORD, World
from tests.privacy.erasure_world import enrolled, give_history


def _erasure_row(user_id: int) -> AuditEvent:
    return AuditEvent.objects.get(action="privacy.client_erased", subject_user_id=user_id)


def test_without_a_study_everything_about_the_client_is_removed(world: World) -> None:
    client, other = world.client_a, world.client_b
    give_history(world, client)
    give_history(world, other)
    user_id, earlier_rows = client.user_id, AuditEvent.objects.filter(subject_user_id=client.user_id).count()
    assert earlier_rows > 0

    plan = erasure.erase(world.admin, client.pk, reason="request")

    assert not plan.keeps_anything
    assert not ClientProfile.all_profiles.filter(pk=client.pk).exists()
    assert not User.objects.filter(pk=user_id).exists()
    assert not Assignment.objects.filter(client_id=client.pk).exists()
    assert not Entry.objects.filter(assignment__client_id=client.pk).exists()
    assert not Response.objects.filter(client_id=client.pk).exists()
    assert not EmailAddress.objects.filter(email__iexact="client.a@example.org").exists()
    # The other client keeps everything; the trail keeps its rows and says what was done, by whom.
    assert Entry.objects.filter(assignment__client=other).count() == 3
    assert ReminderPreference.objects.filter(client=other).exists()
    assert AuditEvent.objects.filter(subject_user_id=user_id).count() == earlier_rows + 1
    row = _erasure_row(user_id)
    assert row.actor_id == world.admin.pk and row.detail["trigger"] == "request"
    assert row.sealed_detail["removed"]["homework.entry"] == 3
    assert row.sealed_detail["kept_for_studies"] == []


def test_a_study_that_keeps_data_keeps_it_without_name_or_free_text(world: World) -> None:
    client = world.client_a
    entry = give_history(world, client)
    participant = enrolled(world, client, scopes=("data",))  # no free-text scope
    user_id = client.user_id
    verdicts.risk_flags([client.pk])  # the caseload has read the client's series and keeps their verdict
    assert SeriesVerdict.objects.filter(client_id=client.pk).exists()

    plan = erasure.erase(world.admin, client.pk, reason="request")

    assert plan.keeps_anything and not plan.keeps_free_text
    kept = ClientProfile.all_profiles.get(pk=client.pk)
    assert kept.erased_at is not None
    assert not ClientProfile.objects.filter(pk=client.pk).exists()  # no page, list or job sees it
    user = User.objects.get(pk=user_id)
    assert user.email == f"erased-{user_id}@erased.invalid" and user.display_name == ""
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    # The sent entries stay with their numbers, without the words; the draft is gone.
    entries = list(Entry.objects.filter(assignment__client_id=client.pk))
    assert len(entries) == 2 and all(e.status == Entry.Status.SUBMITTED for e in entries)
    stored = Entry.objects.get(pk=entry.pk).answers
    assert "situation" not in stored
    assert stored["emotions"] and all("emotion" not in row for row in stored["emotions"])
    assert [row["intensity"] for row in stored["emotions"]] == [
        row["intensity"] for row in entry.answers["emotions"]
    ]
    assert Assignment.objects.get(client_id=client.pk).rationale == ""
    assert Response.objects.filter(client_id=client.pk).count() == 1
    assert not SeriesVerdict.objects.filter(client_id=client.pk).exists()  # the caseload's cache goes
    assert not ReminderPreference.objects.filter(client_id=client.pk).exists()
    # Withdrawn today under a "keep" protocol, so the study's export still includes them, under its pseudonym.
    participant.refresh_from_db()
    assert participant.state == ParticipantState.WITHDRAWN
    assert consent_rules.inclusion(participant, 1).included
    assert set(
        ConsentRecord.objects.filter(participant=participant).values_list("typed_name", flat=True)
    ) == {""}
    row = _erasure_row(user_id)
    assert row.sealed_detail["kept_for_studies"] == [participant.study.title]
    assert "free_text" not in row.sealed_detail["kept_uses"]


def test_free_text_stays_when_the_participant_consented_to_it(world: World) -> None:
    client = world.client_a
    entry = give_history(world, client)
    enrolled(world, client, scopes=("data", "free_text"))
    plan = erasure.erase(world.admin, client.pk, reason="request")
    assert plan.keeps_free_text
    assert Entry.objects.get(pk=entry.pk).answers["situation"] == entry.answers["situation"]


def test_a_remove_protocol_keeps_nothing(world: World) -> None:
    client = world.client_a
    give_history(world, client)
    enrolled(world, client, withdrawal_policy="remove")
    plan = plan_for(client)
    assert [s.why for s in plan.studies] == ["protocol_remove"] and not plan.keeps_anything
    erasure.erase(world.admin, client.pk, reason="request")
    assert not ClientProfile.all_profiles.filter(pk=client.pk).exists()
    assert not Participant.objects.filter(client_id=client.pk).exists()


def test_a_legal_hold_stops_the_erasure_until_it_is_lifted(world: World) -> None:
    client = world.client_a
    give_history(world, client)
    holds.place(world.admin, client, "Complaint 2026-14 is open")
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase(world.admin, client.pk, reason="request")
    assert Entry.objects.filter(assignment__client=client).count() == 3
    assert not AuditEvent.objects.filter(action="privacy.client_erased").exists()
    with pytest.raises(holds.HoldError):
        holds.place(world.admin, client, "A second hold")
    holds.lift(world.admin, client)
    erasure.erase(world.admin, client.pk, reason="request")
    assert not ClientProfile.all_profiles.filter(pk=client.pk).exists()


def test_an_erased_client_cannot_log_in_and_a_second_erasure_is_refused(world: World) -> None:
    client = world.client_a
    enrolled(world, client)
    give_history(world, client)
    erasure.erase(world.admin, client.pk, reason="request")
    browser = Client()
    for email in ("client.a@example.org", f"erased-{client.user_id}@erased.invalid"):
        browser.post("/accounts/login/", {"login": email, "password": PASSWORD})
        assert "_auth_user_id" not in browser.session
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase(world.admin, client.pk, reason="request")


def test_free_text_removal_reaches_into_repeated_groups() -> None:
    specs = [
        {"id": "situation", "type": "long_text"},
        {"id": "rating", "type": "scale"},
        {
            "id": "rows",
            "type": "group",
            "fields": [{"id": "what", "type": "short_text"}, {"id": "n", "type": "number"}],
        },
    ]
    answers = {"situation": "x", "rating": 3, "rows": [{"what": "y", "n": 1}, {"n": 2}]}
    assert erasure.without_free_text(specs, answers) == {"rating": 3, "rows": [{"n": 1}, {"n": 2}]}
