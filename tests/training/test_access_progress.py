"""Who sees what in training mode, the progress numbers, and the list and progress pages' query counts."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.accounts.models import Role
from emotipal.platform.audit.models import AuditEvent
from emotipal.training.models import TrainingAttempt
from emotipal.training.services import submit_attempt
from tests.factories import World
from tests.training.factory import full_answers, make_vignette, member, trainee_at


def _attempt(world: World, user: Any, **overrides: Any) -> TrainingAttempt:
    from emotipal.training.forms import AttemptForm

    form = AttemptForm(full_answers(**overrides))
    assert form.is_valid(), form.errors
    return submit_attempt(user, make_vignette(), form.answers())


def test_a_trainee_lands_on_training_and_sees_no_client(world: World) -> None:
    trainee = trainee_at(world.clinic)
    http = world.login(trainee)
    assert http.get("/")["Location"] == "/training/"
    page = http.get("/training/").content.decode()
    assert 'href="/training/"' in page and 'href="/clients/"' not in page
    assert http.get("/clients/").status_code == 403
    assert http.get(f"/clients/{world.client_a.pk}/").status_code == 403


def test_therapists_may_practise_clients_may_not(world: World) -> None:
    vignette = make_vignette()
    assert world.login(world.therapist).get(f"/training/vignettes/{vignette.pk}/").status_code == 200
    for user in (world.client_a.user, world.researcher):
        assert world.login(user).get("/training/").status_code == 403
        assert world.login(user).get(f"/training/vignettes/{vignette.pk}/").status_code == 403
    # A clinic admin oversees trainees but does not practise.
    assert world.login(world.admin).get("/training/").status_code == 200
    assert world.login(world.admin).get(f"/training/vignettes/{vignette.pk}/attempt/").status_code == 403


def test_attempts_and_progress_are_private_to_the_trainee_and_their_supervisors(world: World) -> None:
    trainee, other = trainee_at(world.clinic), trainee_at(world.clinic, "other.trainee@example.org")
    supervisor = member(world.clinic, "sue@example.org", Role.SUPERVISOR, "Sue Supervisor")
    foreign_supervisor = member(world.other_clinic, "fay@example.org", Role.SUPERVISOR, "Fay Foreign")
    attempt = _attempt(world, trainee)
    feedback, progress = f"/training/attempts/{attempt.pk}/", f"/training/progress/{trainee.pk}/"
    assert world.login(trainee).get(feedback).status_code == 200
    assert world.login(trainee).get(progress).status_code == 200
    for user in (other, world.therapist, foreign_supervisor):
        assert world.login(user).get(feedback).status_code == 404, user
        assert world.login(user).get(progress).status_code == 404, user
    assert world.login(other).get(f"/training/progress/{supervisor.pk}/").status_code == 404
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for user in (supervisor, world.admin):
        assert world.login(user).get(feedback).status_code == 200
        assert world.login(user).get(progress).status_code == 200
    reads = AuditEvent.objects.filter(pk__gt=before, subject_user_id=trainee.pk).values_list(
        "actor_id", "action"
    )
    assert sorted(reads) == sorted(
        [
            (supervisor.pk, "read.training_attempt"),
            (supervisor.pk, "read.training_progress"),
            (world.admin.pk, "read.training_attempt"),
            (world.admin.pk, "read.training_progress"),
        ]
    )
    listing = world.login(supervisor).get("/training/").content.decode()
    assert f"/training/progress/{trainee.pk}/" in listing and f"/training/progress/{other.pk}/" in listing
    assert (
        f"/training/progress/{trainee.pk}/"
        not in world.login(foreign_supervisor).get("/training/").content.decode()
    )


def test_progress_numbers(world: World) -> None:
    trainee = trainee_at(world.clinic)
    _attempt(world, trainee, backup_plan="", obstacles="", rehearsed=None, summary="")
    _attempt(world, trainee, client_review_first=None)
    _attempt(world, trainee)
    page = world.login(trainee).get("/training/progress/")
    rows = page.context["rows"]
    assert [(r.number, [p["share"] for p in r.phases], r.share) for r in rows] == [
        (1, [100, 100, 33], 69),  # plan: confidence asked and sized only (2 of 6); 9 of 13
        (2, [75, 100, 100], 92),  # 12 of 13
        (3, [100, 100, 100], 100),
    ]
    chart = page.context["chart"]
    assert chart.has_data and [row[-1] for row in chart.rows] == ["69%", "92%", "100%"]


@pytest.mark.parametrize("attempts", [1, 6])
def test_list_and_progress_query_counts(
    world: World, attempts: int, django_assert_max_num_queries: Any
) -> None:
    trainee = trainee_at(world.clinic)
    supervisor = member(world.clinic, "sue@example.org", Role.SUPERVISOR, "Sue Supervisor")
    for i in range(attempts):
        trainee_i = trainee if i % 2 == 0 else trainee_at(world.clinic, f"t{i}@example.org")
        _attempt(world, trainee_i)
    for user, path in (
        (trainee, "/training/"),
        (trainee, "/training/progress/"),
        (supervisor, "/training/"),
        (supervisor, f"/training/progress/{trainee.pk}/"),
    ):
        http = world.login(user)
        with django_assert_max_num_queries(12):
            assert http.get(path).status_code == 200
