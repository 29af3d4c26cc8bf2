"""Opening an exercise without typing stores no draft: no row, no "Draft saved" on Today, and no abandoned
draft in the engagement measures; the first save with something in it makes the draft."""

from __future__ import annotations

from emotipal.homework import services
from emotipal.homework.compliance import gather
from emotipal.homework.models import Entry
from tests.factories import World, plan_for


def test_opening_and_an_empty_save_make_no_draft(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    http = world.login(world.client_a.user)
    assert http.get(f"/homework/{assignment.pk}/").status_code == 200
    assert http.post(f"/homework/{assignment.pk}/draft/", {"a.situation": ""}).status_code == 200
    assert not Entry.objects.filter(assignment=assignment).exists()
    assert "Draft saved" not in http.get("/today/").content.decode()
    http.post(f"/homework/{assignment.pk}/draft/", {"a.situation": "Monday, before work"})
    draft = Entry.objects.get(assignment=assignment, status=Entry.Status.DRAFT)
    assert draft.answers["situation"] == "Monday, before work" and draft.draft_saves == 1


def test_an_untyped_draft_row_is_not_an_attempt(world: World) -> None:
    """Rows the old page made on opening (answers empty, never saved) are not counted as abandoned drafts."""
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.open_draft(assignment)
    [record] = gather([world.client_a]).values()
    assert record.attempts == []
