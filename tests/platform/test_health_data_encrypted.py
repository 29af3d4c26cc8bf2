"""Health data is encrypted at rest: questionnaire scores, risk-alert items, review ratings, barrier codes,
fear-ladder titles and the clinical details of the audit trail. Each is written through the service functions,
read back raw from the database (it must be a Fernet token without the clinical values in it), read back
through the app (it must be right), and re-encrypted by `rotate_field_keys`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone

from emotipal.homework import ladders, reviews
from emotipal.homework.models import Barrier, FearLadder, RetroactiveRating, SelfReview, TherapistReview
from emotipal.homework.services import assign_homework
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument, Response, RiskAlert
from emotipal.measures.queries import caseload_flags
from emotipal.platform.audit.models import AuditEvent
from emotipal.platform.encryption import fernet
from tests.factories import World, plan_for

# PHQ-9 answers adding up to 17 ("Moderately severe"), with item 9 answered: a risk alert.
PHQ9_17 = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 1}
LADDER_TITLE = "Speaking up in the team meeting"
SELF_RATINGS = {"quantity": 3, "quality": 2}
THERAPIST_RATINGS = {"quantity": 1, "quality": 4, "mastery": 2, "understanding": 3}


@dataclass
class Written:
    response: Response
    alert: RiskAlert
    self_review: SelfReview
    therapist_review: TherapistReview
    barrier: Barrier
    ladder: FearLadder
    retro: RetroactiveRating


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def assert_sealed(value: str, *clinical: str, key: str | None = None) -> None:
    """A Fernet token (readable with the given or the configured keys) with none of the clinical strings in it.

    The strings checked contain characters a token never has (quotes, spaces) or are long enough that they
    cannot turn up in base64 by chance, so the test cannot fail by bad luck."""
    try:
        (Fernet(key.encode()) if key else fernet()).decrypt(value.encode())
    except InvalidToken:
        pytest.fail(f"not a token this key opens: {value[:120]}")
    for text in clinical:
        assert text not in value


def write_everything(world: World) -> Written:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    asked = measures.ask_now(world.therapist, world.client_a, phq9)
    result = measures.save_answers(world.client_a.user, asked.pk, PHQ9_17, submit=True)
    assert result.alert is not None
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    assignment = assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, session=first, start_date=first.date, end_date=today),
    )
    barrier = reviews.report_barrier(world.client_a.user, assignment.pk, first.date, "too_hard", "panicked")
    barrier = reviews.choose_strategy(world.client_a.user, barrier.pk, "smaller_step")
    self_review = reviews.submit_self_review(
        world.client_a.user,
        assignment.pk,
        second.pk,
        reviews.SelfReviewInput(ratings=SELF_RATINGS, helpfulness=3),
    )
    therapist_review = reviews.submit_therapist_review(
        world.therapist, assignment.pk, second.pk, THERAPIST_RATINGS
    )
    ladder = ladders.create_ladder(world.therapist, world.client_a, LADDER_TITLE)
    ladders.add_step(world.therapist, ladder.pk, "Say one sentence", 40)
    reviews.end_treatment(world.therapist, world.client_a, today, confirmed=True)
    retro = reviews.rate_retroactively(world.client_a.user, world.client_a, 3, 1)
    return Written(result.response, result.alert, self_review, therapist_review, barrier, ladder, retro)


def assert_all_sealed(w: Written, key: str | None = None) -> None:
    assert_sealed(raw("measures_response", "scores", w.response.pk), '"total"', "Moderately severe", key=key)
    assert_sealed(raw("measures_riskalert", "items", w.alert.pk), '"phq9_9"', key=key)
    assert_sealed(raw("homework_selfreview", "ratings", w.self_review.pk), '"quantity"', key=key)
    # A single digit could turn up in any token: that these are tokens at all shows they are not plain.
    assert_sealed(raw("homework_selfreview", "helpfulness", w.self_review.pk), key=key)
    assert_sealed(raw("homework_retroactiverating", "quantity", w.retro.pk), key=key)
    assert_sealed(raw("homework_retroactiverating", "quality", w.retro.pk), key=key)
    assert_sealed(raw("homework_therapistreview", "ratings", w.therapist_review.pk), '"quality"', key=key)
    assert_sealed(raw("homework_barrier", "barrier", w.barrier.pk), "too_hard", key=key)
    assert_sealed(raw("homework_barrier", "strategy", w.barrier.pk), "smaller_step", key=key)
    assert_sealed(raw("homework_fearladder", "title", w.ladder.pk), LADDER_TITLE, key=key)
    assert_sealed(raw("homework_ladderstep", "expected_distress", w.ladder.steps.get().pk), key=key)


def assert_reads_back(w: Written) -> None:
    response = Response.objects.get(pk=w.response.pk)
    assert (response.total, response.band, response.subscales) == (17, "Moderately severe", {})
    assert RiskAlert.objects.get(pk=w.alert.pk).items == {"phq9_9": 1}
    self_review = SelfReview.objects.get(pk=w.self_review.pk)
    assert (self_review.ratings, self_review.helpfulness) == (SELF_RATINGS, 3)
    retro = RetroactiveRating.objects.get(pk=w.retro.pk)
    assert (retro.quantity, retro.quality) == (3, 1)
    assert TherapistReview.objects.get(pk=w.therapist_review.pk).ratings == THERAPIST_RATINGS
    barrier = Barrier.objects.get(pk=w.barrier.pk)
    assert (barrier.barrier, barrier.strategy, barrier.detail) == ("too_hard", "smaller_step", "panicked")
    ladder = FearLadder.objects.get(pk=w.ladder.pk)
    assert (ladder.title, ladder.steps.get().expected_distress) == (LADDER_TITLE, 40)


def test_health_data_is_not_stored_in_plain_text(world: World) -> None:
    w = write_everything(world)
    assert_all_sealed(w)
    assert_reads_back(w)


def test_clinical_audit_details_are_encrypted_and_settings_stay_readable(world: World) -> None:
    w = write_everything(world)
    for action, clinical in [
        ("barrier.report", "too_hard"),
        ("barrier.strategy", "smaller_step"),
        ("assignment.create", world.thought_record.template.slug),
        ("client.discharge", timezone.localdate().isoformat()),
    ]:
        event = AuditEvent.objects.get(action=action)
        assert clinical not in raw("audit_auditevent", "detail", event.pk)
        assert_sealed(raw("audit_auditevent", "sealed_detail", event.pk), clinical)
    assert AuditEvent.objects.get(action="barrier.report").sealed_detail == {"barrier": "too_hard"}
    assert AuditEvent.objects.get(action="barrier.report").detail == {}
    assignment = AuditEvent.objects.get(action="assignment.create")
    # The template and the guided-flow steps (clinical: how the homework was set) are sealed.
    assert assignment.sealed_detail["template"] == world.thought_record.template.slug
    assert assignment.sealed_detail["steps"] == ["rationale_given"]
    assert {"confidence", "made_smaller", "previous_reviewed"} <= set(assignment.sealed_detail)
    assert assignment.detail == {"version": world.thought_record.number}  # a number, not the exercise
    # Ids, the event name and who it is about stay plain: "who looked at my data?" is still a query.
    assert AuditEvent.objects.filter(
        action="barrier.report", subject_user_id=world.client_a.user_id, target_id=str(w.barrier.pk)
    ).exists()


def test_the_pages_still_count_and_show_the_encrypted_values(world: World) -> None:
    w = write_everything(world)
    # Reliable change and the latest total on the caseload come from the decrypted scores.
    assert caseload_flags([world.client_a.pk])[world.client_a.pk].latest == {"PHQ-9": 17}
    http = world.login(world.therapist)
    page = http.get("/clients/obstacles/").content.decode()
    assert "It felt too hard or too anxious" in page  # counted by code after decryption
    assert LADDER_TITLE in http.get(f"/ladders/{w.ladder.pk}/").content.decode()


def test_key_rotation_re_encrypts_the_health_data(world: World, settings: Any) -> None:
    w = write_everything(world)
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("rotate_field_keys", verbosity=0)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert_all_sealed(w, key=new_key)  # the new key alone opens every one of them
        assert_reads_back(w)
        event = AuditEvent.objects.get(action="barrier.report")
        assert_sealed(raw("audit_auditevent", "sealed_detail", event.pk), "too_hard", key=new_key)
        assert event.sealed_detail == {"barrier": "too_hard"}


BEFORE = [("measures", "0001_initial"), ("audit", "0001_initial")]
BEFORE_HOMEWORK = ("homework", "0003_assignment_variant_key_entry_variant_key_fearladder_and_more")


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_existing_rows_and_reverse_cleanly(world: World) -> None:
    w = write_everything(world)
    event_pk = AuditEvent.objects.get(action="barrier.report").pk
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Back to the plain schema: the reverse migrations decrypt, so old code would read its data.
        migrate([*BEFORE, BEFORE_HOMEWORK])
        assert float(raw("measures_response", "total", w.response.pk)) == 17
        assert raw("measures_response", "band", w.response.pk) == "Moderately severe"
        assert raw("homework_barrier", "barrier", w.barrier.pk) == "too_hard"
        assert raw("homework_fearladder", "title", w.ladder.pk) == LADDER_TITLE
        assert int(raw("homework_selfreview", "helpfulness", w.self_review.pk)) == 3
        assert "phq9_9" in raw("measures_riskalert", "items", w.alert.pk)
        assert "too_hard" in raw("audit_auditevent", "detail", event_pk)
        # Forward again, as an existing database upgrades: its plain rows are encrypted and read right.
        migrate(latest)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert_all_sealed(w)
    assert_reads_back(w)
    assert "too_hard" not in raw("audit_auditevent", "detail", event_pk)
    assert AuditEvent.objects.get(pk=event_pk).sealed_detail == {"barrier": "too_hard"}
