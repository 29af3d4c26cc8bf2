"""A client's download holds everything EmotiPal keeps about them (an entry's answers, drafts, replies, reviews,
questionnaires, ladders, reminders, support, studies, who saw their data) in the HTML summary and the JSON, in
their time zone and language, and nothing of anyone else and no secret."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from emotipal.accounts.models import ClientProfile, User
from emotipal.homework.models import Entry
from tests.factories import World
from tests.privacy.my_data_factory import Filled, fill

PATHS = {
    "html": "/settings/my-data/summary.html",
    "json": "/settings/my-data/data.json",
    "fhir": "/settings/my-data/fhir.json",
}


def downloads(http: Client) -> dict[str, str]:
    found = {}
    for name, path in PATHS.items():
        response = http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response["Content-Disposition"].startswith('attachment; filename="emotipal-my-data-')
        found[name] = response.content.decode()
    return found


def _both(world: World) -> tuple[Filled, Filled, dict[str, str]]:
    mine = fill(world, world.client_a, "ALPHA")
    theirs = fill(world, world.client_b, "BRAVO")
    return mine, theirs, downloads(world.login(world.client_a.user))


def test_every_section_of_the_client_is_in_the_summary_and_the_json(world: World) -> None:
    mine, _theirs, got = _both(world)
    page, data = html.unescape(got["html"]), got["json"]
    missing = [m for m in mine.markers if m not in page]
    assert missing == [], f"not in the HTML summary: {missing}"
    text = json.dumps(json.loads(data), ensure_ascii=False)
    missing = [m for m in mine.markers if m not in text]
    assert missing == [], f"not in the JSON: {missing}"


def test_nothing_of_another_client_no_secret_and_no_private_staff_note(world: World) -> None:
    mine, theirs, got = _both(world)
    for name, body in got.items():
        text = html.unescape(body)
        for marker in ("BRAVO", world.client_b.user.email, world.client_b.user.display_name):
            assert marker not in text, (name, marker)
        leaked = [s for s in [*mine.secrets, *theirs.secrets] if s in text]
        assert leaked == [], (name, leaked)
        assert [p for p in mine.private if p in text] == [], name
        assert world.therapist.email not in text, name  # staff are named, not e-mailed


def test_times_are_in_the_clients_zone_in_the_summary_and_iso_8601_in_the_json(world: World) -> None:
    fill(world, world.client_a, "ALPHA")
    ClientProfile.objects.filter(pk=world.client_a.pk).update(timezone="Pacific/Auckland")
    sent = dt.datetime(2026, 1, 10, 23, 30, tzinfo=dt.UTC)  # 12:30 the next day in Auckland (UTC+13)
    Entry.objects.filter(assignment__client=world.client_a, status="submitted").update(submitted_at=sent)
    got = downloads(world.login(world.client_a.user))
    assert "sent 11 Jan 2026, 12:30" in got["html"]
    assert "Pacific/Auckland" in got["html"]
    data = json.loads(got["json"])
    assert data["time_zone"] == "Pacific/Auckland"
    (submitted,) = [e for e in data["assignments"][0]["entries"] if e["status"] == "submitted"]
    assert submitted["submitted_at"] == "2026-01-11T12:30:00+13:00"
    assert dt.datetime.fromisoformat(submitted["submitted_at"]) == sent
    assert submitted["practice_date"] == dt.date.fromisoformat(submitted["practice_date"]).isoformat()


@pytest.mark.parametrize(("language", "direction"), [("es", "ltr"), ("ar", "rtl")])
def test_the_page_and_the_summary_are_in_the_clients_language(
    world: World, language: str, direction: str
) -> None:
    User.objects.filter(pk=world.client_a.user_id).update(language=language)
    fill(world, world.client_a, "ALPHA")
    http = world.login(User.objects.get(pk=world.client_a.user_id))
    with translation.override(language):
        title, included = gettext("My data at EmotiPal"), gettext("What is in it")
        section = gettext("What is not in this file")
    assert title != "My data at EmotiPal" and included != "What is in it"  # translated, not the English
    page = http.get("/settings/my-data/").content.decode()
    assert f'lang="{language}" dir="{direction}"' in page and html.escape(included) in page
    summary = downloads(http)["html"]
    assert f'<html lang="{language}" dir="{direction}">' in summary
    assert html.escape(title) in summary and html.escape(section) in summary
    assert "ALPHA situation 0.0" in summary
