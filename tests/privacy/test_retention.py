"""The clinic's retention rules: old drafts go, clients whose treatment ended long ago are erased by the
erasure's rules (a hold skips them, a study keeps what it may), each run is reported; the daily job runs
through the Tasks API and keeps one chain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Entry
from emotipal.measures.models import Heartbeat
from emotipal.platform.audit.models import AuditEvent
from emotipal.privacy import holds, retention
from emotipal.privacy.models import RetentionPolicy, RetentionRun
from emotipal.privacy.tasks import NAME, ensure_scheduled
from tests.factories import World
from tests.privacy.erasure_world import enrolled, give_history


def _age_drafts(client: ClientProfile, days: int) -> None:
    Entry.objects.filter(assignment__client=client, status=Entry.Status.DRAFT).update(
        last_saved_at=timezone.now() - dt.timedelta(days=days)
    )


def _discharge(client: ClientProfile, years_ago: float) -> None:
    client.discharged_on = timezone.localdate() - dt.timedelta(days=round(365.25 * years_ago))
    client.save(update_fields=["discharged_on"])


def test_old_drafts_go_and_recent_ones_stay(world: World) -> None:
    old, recent, elsewhere = world.client_a, world.client_b, world.client_other_clinic
    for client in (old, recent):
        give_history(world, client)
    _age_drafts(old, 91)
    _age_drafts(recent, 89)
    policy = RetentionPolicy.objects.create(clinic=world.clinic, draft_days=90)
    assert retention.due(world.clinic, policy).drafts == 1

    run = retention.apply(world.clinic, policy)

    assert run.drafts_removed == 1 and run.clients_erased == 0
    assert not Entry.objects.filter(assignment__client=old, status=Entry.Status.DRAFT).exists()
    assert Entry.objects.filter(assignment__client=old, status=Entry.Status.SUBMITTED).count() == 2
    assert Entry.objects.filter(assignment__client=recent, status=Entry.Status.DRAFT).exists()
    assert ClientProfile.objects.filter(pk=elsewhere.pk).exists()
    row = AuditEvent.objects.get(action="privacy.retention_run")
    assert row.clinic_id == world.clinic.pk and row.detail["drafts_removed"] == 1 and row.actor_id is None


def test_clients_discharged_long_ago_are_erased_unless_held_and_a_study_keeps_its_part(world: World) -> None:
    long_ago, held, recent = world.client_a, world.client_b, world.client_other_clinic
    researched = ClientProfile.objects.create(
        user=type(world.admin).objects.create_user("client.d@example.org", "x", display_name="Dee Client"),
        clinic=world.clinic,
        therapist=world.therapist,
    )
    for client in (long_ago, held, researched):
        give_history(world, client)
        _discharge(client, 7)
    enrolled(world, researched)
    holds.place(world.admin, held, "Claim 3 is open")
    in_treatment = ClientProfile.objects.get(pk=recent.pk)  # another clinic, no rule there
    policy = RetentionPolicy.objects.create(clinic=world.clinic, anonymise_after_years=6)

    preview = retention.due(world.clinic, policy)
    assert sorted(preview.clients) == sorted([long_ago.pk, researched.pk]) and preview.on_hold == [held.pk]
    run = retention.apply(world.clinic, policy)

    assert (run.clients_erased, run.clients_kept_for_research, run.clients_on_hold) == (1, 1, 1)
    assert not ClientProfile.all_profiles.filter(pk=long_ago.pk).exists()
    assert ClientProfile.all_profiles.get(pk=researched.pk).erased_at is not None
    assert Entry.objects.filter(assignment__client=held).count() == 3
    assert ClientProfile.objects.filter(pk=in_treatment.pk).exists()
    erased = AuditEvent.objects.filter(action="privacy.client_erased")
    assert set(erased.values_list("detail__trigger", flat=True)) == {"retention"}


def test_a_client_discharged_more_recently_than_the_rule_stays(world: World) -> None:
    _discharge(world.client_a, 2)
    policy = RetentionPolicy.objects.create(clinic=world.clinic, anonymise_after_years=3)
    assert retention.apply(world.clinic, policy).clients_erased == 0
    assert ClientProfile.objects.filter(pk=world.client_a.pk).exists()


def test_a_leap_day_moves_to_the_28th() -> None:
    assert retention.years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_runs_on_a_worker_and_keeps_one_chain(world: World) -> None:
    give_history(world, world.client_a)
    _age_drafts(world.client_a, 400)
    RetentionPolicy.objects.create(clinic=world.clinic, draft_days=365)
    RetentionPolicy.objects.create(clinic=world.other_clinic)  # no rule: no run, no report
    assert ensure_scheduled() is True
    call_command("db_worker", "--batch", "--no-reload")
    beat = Heartbeat.objects.get(name=NAME)
    assert beat.next_run_at is not None and beat.next_run_at > timezone.now() + dt.timedelta(hours=23)
    assert ensure_scheduled() is False
    assert list(RetentionRun.objects.values_list("clinic_id", "drafts_removed")) == [(world.clinic.pk, 1)]
