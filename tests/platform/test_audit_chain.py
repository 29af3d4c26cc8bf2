"""The audit trail is append-only in the application, and its chain of seals names the first row changed or
deleted behind the application's back (raw SQL, as a database administrator could)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from emotipal.accounts.models import User
from emotipal.platform.audit import chain
from emotipal.platform.audit.models import AppendOnlyError, AuditEvent, AuditSeal
from emotipal.platform.audit.services import record, record_many
from tests.factories import World


def _rows(world: World, n: int = 5) -> list[AuditEvent]:
    return [
        record(world.therapist, "read.client", world.client_a, subject_user_id=world.client_a.user_id, n=i)
        for i in range(n)
    ]


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{t}", connection.ops.quote_name(AuditEvent._meta.db_table)), params)


def test_the_application_cannot_change_or_remove_a_row(world: World) -> None:
    event = _rows(world, 1)[0]
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "read.client"


def test_an_intact_chain_verifies_and_seals_each_row_once(world: World) -> None:
    _rows(world)
    first = chain.seal_pending()
    assert first == AuditEvent.objects.count() > 0
    assert chain.seal_pending() == 0  # nothing twice
    record_many(world.therapist, "read.caseload", [(world.client_a, world.client_a.user_id, None)])
    assert chain.seal_pending() == 1
    report = chain.verify()
    assert report.intact and report.checked == first + 1 and len(report.head) == 64


def test_an_edited_row_is_named(world: World) -> None:
    rows = _rows(world)
    chain.seal_pending()
    target = rows[2]
    _sql("UPDATE {t} SET action = %s WHERE id = %s", ["read.nothing", target.pk])
    report = chain.verify()
    assert report.first_break is not None
    assert report.first_break.event_id == target.pk
    assert "changed" in report.first_break.reason
    assert report.checked == AuditEvent.objects.filter(pk__lt=target.pk).count()


def test_an_edited_plain_detail_or_time_is_caught(world: World) -> None:
    rows = _rows(world)
    chain.seal_pending()
    _sql("UPDATE {t} SET detail = %s WHERE id = %s", [json.dumps({"language": "es"}), rows[1].pk])
    assert chain.verify().first_break.event_id == rows[1].pk  # type: ignore[union-attr]
    _sql("UPDATE {t} SET detail = %s WHERE id = %s", [json.dumps({}), rows[1].pk])  # put back
    assert chain.verify().intact
    moved = AuditEvent.objects.get(pk=rows[3].pk).at - dt.timedelta(days=1)
    _sql("UPDATE {t} SET at = %s WHERE id = %s", [moved, rows[3].pk])
    assert chain.verify().first_break.event_id == rows[3].pk  # type: ignore[union-attr]


def test_a_deleted_row_is_named(world: World) -> None:
    rows = _rows(world)
    chain.seal_pending()
    _sql("DELETE FROM {t} WHERE id = %s", [rows[1].pk])
    broken = chain.verify().first_break
    assert broken is not None and broken.event_id == rows[1].pk and "deleted" in broken.reason


def test_a_removed_seal_breaks_the_chain(world: World) -> None:
    _rows(world)
    chain.seal_pending()
    middle = AuditSeal.objects.order_by("pk")[2]
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(AuditSeal._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [middle.pk])  # noqa: S608
    broken = chain.verify().first_break
    assert broken is not None and "does not follow" in broken.reason


def test_a_chain_rebuilt_without_the_key_does_not_verify(world: World, settings: Any) -> None:
    _rows(world)
    settings.AUDIT_CHAIN_KEY = "the attacker's own key"
    chain.seal_pending()
    settings.AUDIT_CHAIN_KEY = "the clinic's real key"
    broken = chain.verify().first_break
    assert broken is not None and "changed" in broken.reason


def test_deleting_an_account_keeps_its_rows_as_they_were(world: World) -> None:
    someone = User.objects.create_user("leaving@example.org", "pw-123456789")
    event = record(someone, "settings.language", someone, language="es")
    chain.seal_pending()
    someone_id = someone.pk
    someone.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == someone_id
    assert chain.verify().intact


def test_the_command_names_the_first_broken_row_and_fails(world: World) -> None:
    rows = _rows(world)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue() and "head digest" in out.getvalue()
    _sql("UPDATE {t} SET target_id = %s WHERE id = %s", ["999", rows[0].pk])
    with pytest.raises(CommandError, match=f"audit row {rows[0].pk} .*changed"):
        call_command("audit_verify", "--no-seal", stdout=StringIO())


def test_old_rows_left_unsealed_are_reported(world: World) -> None:
    _rows(world, 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    report = chain.verify(now=later)
    assert report.unsealed_old == AuditEvent.objects.count() and not report.intact
    _sql("UPDATE {t} SET at = %s", [dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)])
    with pytest.raises(CommandError, match="not sealed"):
        call_command("audit_verify", "--no-seal", stdout=StringIO())
    call_command("audit_verify", stdout=StringIO())  # sealing them now: intact again


@pytest.mark.django_db(transaction=True)
def test_the_periodic_worker_job_seals_new_rows(world: World) -> None:
    from emotipal.measures.tasks import ensure_scheduled

    rows = _rows(world, 3)
    assert ensure_scheduled() is True
    call_command(
        "db_worker", "--batch", "--no-reload"
    )  # the worker runs the 15-minute job, through the queue
    sealed = set(AuditSeal.objects.values_list("event_id", flat=True))
    assert {r.pk for r in rows} <= sealed
    assert chain.verify().intact
