"""Encrypted fields, and rotating to a new key without losing data."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from emotipal.homework.models import Entry
from emotipal.platform.encryption import decrypt_text, encrypt_text
from tests.factories import World


def raw_answers(entry_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM homework_entry WHERE id = %s", [entry_id])
        return str(cursor.fetchone()[0])


def test_round_trip_and_ciphertext_differs_each_time(settings: object) -> None:
    assert decrypt_text(encrypt_text("café ☕")) == "café ☕"
    assert encrypt_text("same") != encrypt_text("same")


def test_rotation_re_encrypts_with_the_new_key(world: World, entry_a: Entry, settings: object) -> None:
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)  # type: ignore[attr-defined]
    new_key = Fernet.generate_key().decode()
    before = raw_answers(entry_a.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("rotate_field_keys", verbosity=0)
        after = raw_answers(entry_a.pk)
        assert after != before
        Fernet(new_key.encode()).decrypt(after.encode())  # readable with the new key alone
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert Entry.objects.get(pk=entry_a.pk).answers["situation"].startswith("Sunday evening")
