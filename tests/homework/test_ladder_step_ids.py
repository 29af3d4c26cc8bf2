"""A ladder page only changes steps of its own ladder: a step id from another ladder is 'not found'."""

from __future__ import annotations

from emotipal.homework import ladders
from emotipal.homework.models import LadderStep
from tests.factories import World


def test_a_step_of_another_ladder_is_not_found_from_this_ladders_page(world: World) -> None:
    mine = ladders.create_ladder(world.therapist, world.client_a, "Contamination")
    other = ladders.create_ladder(world.therapist, world.client_b, "Heights")
    step = ladders.add_step(world.therapist, other.pk, "Look down from a balcony", 60)
    http = world.login(world.therapist)

    status = http.post(f"/ladders/{mine.pk}/", {"action": "status", "step": step.pk, "status": "done"})
    assert status.status_code == 404
    split = http.post(
        f"/ladders/{mine.pk}/",
        {"action": "split", "step": step.pk, "part_0": "First floor", "distress_0": "20"},
    )
    assert split.status_code == 404
    step.refresh_from_db()
    assert step.status == LadderStep.Status.PLANNED and LadderStep.objects.count() == 1

    # From its own ladder's page the same change goes through.
    ok = http.post(f"/ladders/{other.pk}/", {"action": "status", "step": step.pk, "status": "done"})
    assert ok.status_code == 302
    step.refresh_from_db()
    assert step.status == LadderStep.Status.DONE


def test_a_step_id_that_is_not_a_number_is_not_found(world: World) -> None:
    mine = ladders.create_ladder(world.therapist, world.client_a, "Contamination")
    page = world.login(world.therapist).post(f"/ladders/{mine.pk}/", {"action": "status", "step": "x1"})
    assert page.status_code == 404
