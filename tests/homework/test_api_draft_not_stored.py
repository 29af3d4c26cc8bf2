"""Opening a draft over the API stores nothing (as on the exercise page): GET and an empty PUT answer an
unsaved draft with id null; the first PUT with something typed stores it, and GET then returns it."""

from __future__ import annotations

from emotipal.homework.models import Assignment, Entry
from tests.factories import World
from tests.homework.test_api_flows import api_client


def test_opening_stores_no_draft(world: World, assignment_a: Assignment) -> None:
    http = api_client(world.client_a.user)
    url = f"/api/v1/assignments/{assignment_a.pk}/draft"
    opened = http.get(url)
    assert opened.status_code == 200
    assert opened.json()["id"] is None and opened.json()["answers"] == {}
    empty = http.put(url, {"answers": {"situation": ""}}, content_type="application/json")
    assert empty.status_code == 200 and empty.json()["id"] is None
    assert not Entry.objects.filter(assignment=assignment_a).exists()

    typed = http.put(url, {"answers": {"situation": "on the train"}}, content_type="application/json").json()
    assert typed["id"] is not None and typed["answers"] == {"situation": "on the train"}
    again = http.get(url).json()
    assert again["id"] == typed["id"] and again["answers"] == {"situation": "on the train"}
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.DRAFT).count() == 1


def test_another_clients_draft_is_not_found(world: World, assignment_a: Assignment) -> None:
    http = api_client(world.client_b.user)
    assert http.get(f"/api/v1/assignments/{assignment_a.pk}/draft").status_code == 404
