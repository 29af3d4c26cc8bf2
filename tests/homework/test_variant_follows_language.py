"""Homework assigned before a client changes language follows the new language where the template has the
same framing in it; otherwise the therapist's choice stands. Entries record the variant and language shown."""

from __future__ import annotations

import html
import importlib
from typing import Any

import pytest

from emotipal.accounts.models import User
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.library.variants import family_of, follow_language
from tests.factories import World, complete_thought_record, plan_for

pytestmark = pytest.mark.django_db

# A template with plain translations, a family framing in two languages and a cultural variant with no
# counterpart in any other language (the shapes of emotipal/library/exercises/*.yaml, plus one they lack).
VARIANTS: list[dict[str, Any]] = [
    {"key": "es", "language": "es", "adapts": ["language"]},
    {"key": "ar", "language": "ar", "adapts": ["language"]},
    {"key": "family-en", "language": "en", "adapts": ["persons", "goals"]},
    {"key": "family-es", "language": "es", "adapts": ["language", "persons", "goals"]},
    {"key": "rural-es", "language": "es", "adapts": ["context"]},
]


@pytest.mark.parametrize(
    ("pinned", "language", "shown"),
    [
        ("base", "es", "es"),  # the original followed into Spanish
        ("es", "en", "base"),  # and back into the template's own English
        ("es", "ar-EG", "ar"),  # a region is its language
        ("es", "es", "es"),  # same language: nothing to follow
        ("family-en", "es", "family-es"),  # the framing is kept across languages
        ("family-es", "en", "family-en"),
        ("family-en", "ar", "family-en"),  # no Arabic family variant: the therapist's choice stands
        ("rural-es", "en", "rural-es"),  # a cultural adaptation is never swapped for a plain translation
        ("rural-es", "ar", "rural-es"),
        ("base", "fr", "base"),  # no French at all: the choice as made
        ("es", "", "es"),
    ],
)
def test_follow_language(pinned: str, language: str, shown: str) -> None:
    assert follow_language(VARIANTS, pinned, language) == shown


def test_framing_families() -> None:
    families = [family_of(v) for v in VARIANTS]
    assert families == ["", "", "family", "family", "rural"] and family_of(None) == ""


def text_of(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def change_language(world: World, language: str) -> None:
    http = world.login(world.client_a.user)
    response = http.post("/settings/", {"action": "language", "language": language})
    assert response.status_code in (200, 302)
    world.client_a.user.refresh_from_db()
    assert world.client_a.user.language == language


def fresh(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_related("template_version", "client__user").get(pk=assignment.pk)


def situation_label(assignment: Assignment, key: str) -> str:
    variant = next(v for v in assignment.template_version.variants if v["key"] == key)
    return str(variant["fields"]["situation"]["label"])


def submit(world: World, assignment: Assignment, key: str) -> Entry:
    entry, _created = services.submit_entry(
        world.client_a.user,
        assignment.pk,
        services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key=key),
    )
    return entry


def test_homework_follows_the_clients_new_language_everywhere(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    assert assignment.variant_key == "base"  # assigned while the client used English
    english = submit(world, assignment, "before")
    assert (english.variant_key, english.language) == ("base", "en")

    change_language(world, "es")
    http = world.login(User.objects.get(pk=world.client_a.user.pk))
    today = text_of(http.get("/today/"))
    assert "Registro de pensamientos" in today and "Thought record" not in today
    page = text_of(http.get(f"/homework/{assignment.pk}/"))
    assert situation_label(assignment, "es") in page and "What was happening?" not in page

    spanish = submit(world, fresh(assignment), "after")
    assert (spanish.variant_key, spanish.language) == ("es", "es")
    # The English entry now reads under the Spanish questions for the client; the record keeps its English.
    mine = text_of(http.get(f"/my/entries/{english.pk}/"))
    assert situation_label(assignment, "es") in mine
    english.refresh_from_db()
    assert (english.variant_key, english.language) == ("base", "en")
    assert fresh(assignment).variant_key == "base"  # the therapist's choice itself is unchanged

    staff = world.login(world.therapist)
    detail = text_of(staff.get(f"/clients/{world.client_a.pk}/"))
    assert "the client sees: Español" in detail
    assert "written in: Español" in text_of(staff.get(f"/entries/{spanish.pk}/"))
    assert "written in: English (original)" in text_of(staff.get(f"/entries/{english.pk}/"))


def test_the_therapists_choice_is_kept_where_the_new_language_has_no_such_variant(world: World) -> None:
    # The thought record has a family framing in English and Spanish, but not in Arabic.
    assignment = services.assign_homework(
        world.therapist, world.client_a, plan_for(world.thought_record, variant_key="family-en")
    )
    change_language(world, "es")
    assert fresh(assignment).shown_variant_key == "family-es"  # the same framing, now in Spanish
    assert submit(world, fresh(assignment), "es").variant_key == "family-es"

    change_language(world, "ar")
    a = fresh(assignment)
    assert a.shown_variant_key == "family-en"  # not swapped for the plain Arabic translation
    entry = submit(world, a, "ar")
    assert (entry.variant_key, entry.language) == ("family-en", "en")
    staff = text_of(world.login(world.therapist).get(f"/clients/{world.client_a.pk}/"))
    assert "the client sees" not in staff  # what the therapist chose is what the client sees


def test_entries_sent_before_the_language_column_get_their_variants_language(world: World) -> None:
    from django.apps import apps

    migration = importlib.import_module("emotipal.homework.migrations.0006_entry_language")
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    entries = [submit(world, assignment, key) for key in ("one", "two")]
    Entry.objects.filter(pk=entries[0].pk).update(variant_key="ar", language="")
    Entry.objects.filter(pk=entries[1].pk).update(variant_key="base", language="")
    migration.fill_language(apps, None)
    assert [Entry.objects.get(pk=e.pk).language for e in entries] == ["ar", "en"]
