"""Experiments in the JSON API (researcher tokens): the list, one experiment with its arm counts, and the
allocation log for the roles allowed (403 for other team members, 404 off the team). Pseudonymous only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models import Count

from emotipal.accounts.services import create_api_token
from emotipal.analysis.trials import allocation as engine
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import experiments as actions
from emotipal.research.models import Allocation, ExperimentState, StudyRole
from tests.factories import World
from tests.research.consent_helpers import signed
from tests.research.experiment_factory import make_experiment
from tests.research.study_factory import make_study
from tests.research.team_factory import join, researcher_at

pytestmark = pytest.mark.django_db


def token_client(world: World, user: Any) -> Any:
    http = world.login(None)
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'research').secret}"
    return http


def test_experiments_with_arm_counts_and_the_log_by_role(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    make_experiment(study, slug="later", state=ExperimentState.DRAFT, title="Later trial")
    actions.start(world.researcher, experiment)
    signed(world, study)
    signed(world, study, world.client_b)
    statistician = researcher_at(world.clinic, "statistician@example.org", "Sam Statistician")
    join(study, statistician, StudyRole.STATISTICIAN)
    base = f"/api/v1/research/studies/{study.slug}/experiments"

    investigator = token_client(world, world.researcher)
    listed = investigator.get(base).json()
    assert sorted(e["title"] for e in listed) == ["Later trial", "Reminders on or off"]
    one = investigator.get(f"{base}/{experiment.pk}")
    assert one.status_code == 200
    body = one.json()
    expected = dict(
        Allocation.objects.filter(experiment=experiment).values_list("arm__key").annotate(n=Count("pk"))
    )
    assert {a["key"]: a["allocated"] for a in body["arms"]} == {k: expected.get(k, 0) for k in ("on", "off")}
    assert body["allocated"] == 2 and body["state"] == "running"
    text = one.content.decode()
    assert str(experiment.seed) not in text and "allocation_state" not in text and "client:" not in text

    # the log: the statistician at any time, the investigator once stopped
    log = f"{base}/{experiment.pk}/allocation-log"
    assert investigator.get(log).status_code == 403
    answer = token_client(world, statistician).get(log)
    assert answer.status_code == 200
    document = answer.json()
    assert engine.replay_document(document).ok and len(document["entries"]) == 2
    assert all(e["unit"].startswith("C-") for e in document["entries"])
    assert "@" not in json.dumps(document)  # no e-mail address, no name
    assert AuditEvent.objects.filter(action="read.research.allocation_log", actor=statistician).count() == 1
    actions.stop(world.researcher, experiment)
    assert investigator.get(log).status_code == 200


def test_off_the_team_everything_is_404(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study)
    base = f"/api/v1/research/studies/{study.slug}/experiments"
    outsider = researcher_at(world.clinic, "researcher.b@example.org", "Rob Researcher")
    for user in (outsider, world.therapist, world.client_a.user):
        http = token_client(world, user)
        for url in (base, f"{base}/{experiment.pk}", f"{base}/{experiment.pk}/allocation-log"):
            assert http.get(url).status_code == 404, (user, url)
    # an experiment of another study is not found through this one
    other = make_study(world, "other-study")
    foreign = make_experiment(other, slug="foreign")
    assert token_client(world, world.researcher).get(f"{base}/{foreign.pk}").status_code == 404
    colleague = researcher_at(world.clinic, "colleague.r@example.org", "Cleo Researcher")
    join(study, colleague, StudyRole.RESEARCHER)
    assert token_client(world, colleague).get(f"{base}/{experiment.pk}/allocation-log").status_code == 403
