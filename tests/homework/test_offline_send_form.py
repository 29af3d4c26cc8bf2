"""The exercise form (what the phone's outbox posts, and the plain form without JavaScript) is idempotent:
the same key posted twice, as a send retried after a reload, makes one entry."""

from __future__ import annotations

from typing import Any

from emotipal.homework.models import Assignment, Entry
from tests.factories import World


def form_post(key: str, situation: str = "Bus home, phone had no signal") -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "active_seconds": "120",
        "a.situation": situation,
        "a.emotions.0.emotion": "Worry",
        "a.emotions.0.intensity": "70",
        "a.thoughts.0.thought": "Nobody will answer my message",
        "a.thoughts.0.belief": "65",
        "effort": "3",
    }


def test_same_key_posted_twice_makes_one_entry(world: World, assignment_a: Assignment) -> None:
    http = world.login(world.client_a.user)
    url = f"/homework/{assignment_a.pk}/"
    first = http.post(url, form_post("3f1c2a9e-8a52-4d8e-9d3e-6f0e1b2c3d4e"))
    assert first.status_code == 302
    # The retry after a reload: the same key, posted again (the answers as queued on the phone).
    second = http.post(url, form_post("3f1c2a9e-8a52-4d8e-9d3e-6f0e1b2c3d4e"))
    assert second.status_code == 302 and second["Location"] == first["Location"]
    entries = Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.answers["situation"] == "Bus home, phone had no signal"
    assert entry.idempotency_key == "3f1c2a9e-8a52-4d8e-9d3e-6f0e1b2c3d4e"
    # The sent page the redirect leads to says so to the outbox, which then drops the device copy.
    sent = http.get(first["Location"])
    assert sent.status_code == 200 and sent["X-EmotiPal-Sent-Entry"] == str(entry.pk)
    # A new key is a new practice.
    assert http.post(url, form_post("another-key")).status_code == 302
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED).count() == 2


def test_field_errors_answer_400_and_keep_the_answers(world: World, assignment_a: Assignment) -> None:
    http = world.login(world.client_a.user)
    post = form_post("k-invalid") | {"a.thoughts.0.belief": "190"}
    response = http.post(f"/homework/{assignment_a.pk}/", post)
    assert response.status_code == 400
    assert b'id="form-error"' in response.content and b"Choose a value from 0 to 100." in response.content
    assert not Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED).exists()
    draft = Entry.objects.get(assignment=assignment_a, status=Entry.Status.DRAFT)
    assert draft.answers["thoughts"][0]["belief"] == "190"
    assert "X-EmotiPal-Sent-Entry" not in response
    # Fixed and sent again with the same key: the entry is made now.
    assert http.post(f"/homework/{assignment_a.pk}/", form_post("k-invalid")).status_code == 302
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED).count() == 1
