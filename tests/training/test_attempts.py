"""Attempts: scored against the guideline steps, refused when bad (nothing stored), audited, with hints."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.definitions.competence import STEP_KEYS
from emotipal.platform.audit.models import AuditEvent
from emotipal.training.models import TrainingAttempt
from emotipal.training.scoring import score_attempt
from tests.factories import World
from tests.training.factory import full_answers, make_vignette, trainee_at


def _post(world: World, user: Any, vignette: Any, data: dict[str, Any]) -> Any:
    return world.login(user).post(f"/training/vignettes/{vignette.pk}/attempt/", data)


def test_a_full_attempt_scores_every_step(world: World) -> None:
    trainee, vignette = trainee_at(world.clinic), make_vignette()
    response = _post(world, trainee, vignette, full_answers())
    attempt = TrainingAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/attempts/{attempt.pk}/"
    assert attempt.trainee == trainee and attempt.vignette == vignette
    assert attempt.done == list(STEP_KEYS) and attempt.not_applicable == []
    assert attempt.scores == {
        "review": {"done": 4, "applicable": 4},
        "design": {"done": 3, "applicable": 3},
        "plan": {"done": 6, "applicable": 6},
    }
    event = AuditEvent.objects.get(action="training.attempt")
    assert (event.actor_id, event.target_id, event.subject_user_id) == (
        trainee.pk,
        str(attempt.pk),
        trainee.pk,
    )
    page = world.login(trainee).get(response["Location"]).content.decode()
    assert "Nothing: every step that applied was done." in page


def test_a_bare_attempt_misses_the_listed_steps(world: World) -> None:
    trainee, vignette = trainee_at(world.clinic), make_vignette()
    bare = {"task": "Worry time"}
    assert _post(world, trainee, vignette, bare).status_code == 302
    attempt = TrainingAttempt.objects.get()
    assert attempt.done == []
    assert attempt.scores["review"] == {"done": 0, "applicable": 4}
    assert attempt.scores["plan"] == {"done": 0, "applicable": 6}
    page = world.login(trainee).get(f"/training/attempts/{attempt.pk}/").content.decode()
    for label in (
        "Last homework reviewed",
        "Backup plan",
        "Obstacles anticipated",
        "Confidence asked",
        "Client&#x27;s own review heard first",
    ):
        assert label in page
    assert "A plan B was agreed for when the first plan does not work out." in page  # the step's explanation


def test_missing_backup_plan_is_named_and_only_it(world: World) -> None:
    trainee, vignette = trainee_at(world.clinic), make_vignette()
    _post(world, trainee, vignette, full_answers(backup_plan=""))
    attempt = TrainingAttempt.objects.get()
    assert set(STEP_KEYS) - set(attempt.done) == {"backup_plan"}
    assert attempt.scores["plan"] == {"done": 5, "applicable": 6}


def test_low_confidence_must_be_made_smaller(world: World) -> None:
    trainee, vignette = trainee_at(world.clinic), make_vignette()
    refused = _post(world, trainee, vignette, full_answers(confidence="5"))
    assert refused.status_code == 400
    assert "Make it smaller first" in refused.content.decode()
    assert (
        not TrainingAttempt.objects.exists()
        and not AuditEvent.objects.filter(action="training.attempt").exists()
    )
    assert _post(world, trainee, vignette, full_answers(confidence="5", made_smaller="on")).status_code == 302
    assert "sized_to_confidence" in TrainingAttempt.objects.get().done


@pytest.mark.parametrize(
    "bad",
    [
        {"task": ""},
        {"quantity": "9"},
        {"confidence": "11"},
        {"times_per_week": "0"},
        {"practice_time": "half past"},
        {"learned": "x" * 2001},
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(world: World, bad: dict[str, str]) -> None:
    trainee, vignette = trainee_at(world.clinic), make_vignette()
    response = _post(world, trainee, vignette, full_answers(**bad))
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not TrainingAttempt.objects.exists()


def test_the_case_hints_name_the_main_barrier(world: World) -> None:
    vignette = make_vignette("worry-no-time")
    assert next(iter(vignette.content["barrier_counts"])) == "no_time"
    addressed = score_attempt(_answers(full_answers()), vignette.content)
    assert addressed.hints == []
    ignored = score_attempt(
        _answers(full_answers(obstacles="Feeling silly.", backup_plan="Ask a friend to join.")),
        vignette.content,
    )
    assert any("I didn't have time" in h for h in ignored.hints)
    # Practised less than half and the new plan asks as often: a smaller step is suggested.
    vignette = make_vignette("self-criticism-unsure")
    last = vignette.content["last_homework"]
    assert last["practised"] * 2 < last["planned"]
    more = score_attempt(_answers(full_answers(times_per_week=str(last["times_per_week"]))), vignette.content)
    assert any("smaller, surer step" in h for h in more.hints)
    smaller = full_answers(times_per_week=str(last["times_per_week"]), made_smaller="on")
    assert not any(
        "smaller, surer step" in h for h in score_attempt(_answers(smaller), vignette.content).hints
    )


def _answers(post: dict[str, Any]) -> dict[str, Any]:
    from emotipal.training.forms import AttemptForm

    form = AttemptForm(post)
    assert form.is_valid(), form.errors
    return form.answers()
