"""Allocation by the action: at enrolment, never twice, fixed design afterwards, clusters, replay of the log."""

from __future__ import annotations

import pytest

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.trials import allocation as engine
from emotipal.platform import features
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import experiments as actions
from emotipal.research.errors import ResearchError
from emotipal.research.models import Allocation, Experiment, ParticipantAllocation, Unit
from emotipal.research.queries_experiments import allocation_log_document, replay_stored
from tests.factories import World, make_user
from tests.research.consent_helpers import answer, signed
from tests.research.study_factory import make_study

pytestmark = pytest.mark.django_db

ARMS = (
    actions.ArmDraft("on", "Reminders on", features={"reminders": {"enabled": True}}),
    actions.ArmDraft("off", "Reminders off", features={"reminders": {"enabled": False}}),
)


def running(world: World, **draft: object) -> Experiment:
    study = make_study(world)
    values: dict[str, object] = {"title": "Reminders on or off", "arms": ARMS, "method": "blocks", **draft}
    experiment = actions.create_experiment(world.researcher, study, actions.ExperimentDraft(**values))  # type: ignore[arg-type]
    assert actions.start(world.researcher, experiment) == []
    experiment.refresh_from_db()
    return experiment


def more_clients(world: World, n: int) -> list[ClientProfile]:
    return [
        ClientProfile.objects.create(
            user=make_user(f"extra{i}@example.org", f"Extra {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        for i in range(n)
    ]


def test_signing_consent_allocates_by_the_method_and_the_arm_changes_the_app(world: World) -> None:
    experiment = running(world)
    participant, _record = signed(world, experiment.study)
    link = ParticipantAllocation.objects.get(participant=participant)
    assert link.allocation.trigger == "enrolment" and link.allocation.sequence == 1
    assert link.allocation.triggered_by == world.client_a.user
    expected = features.check_settings(link.allocation.arm.features)["reminders"]["enabled"]
    client = ClientProfile.objects.get(pk=world.client_a.pk)
    assert features.value(client, "reminders")["enabled"] is expected
    assert AuditEvent.objects.filter(action="research.allocation.made").count() == 1


def test_allocating_twice_returns_the_first_allocation(world: World) -> None:
    experiment = running(world)
    participant, _record = signed(world, experiment.study)
    first = ParticipantAllocation.objects.get(participant=participant)
    again = actions.allocate(experiment, participant, world.researcher, "enrolment")
    assert again.pk == first.pk and Allocation.objects.count() == 1


def test_arms_and_method_cannot_change_after_the_first_allocation(world: World) -> None:
    experiment = running(world)
    signed(world, experiment.study)
    draft = actions.ExperimentDraft(title="Changed", arms=ARMS, method="simple")
    with pytest.raises(ResearchError, match="new version"):
        actions.update_experiment(world.researcher, experiment, draft)
    experiment.refresh_from_db()
    assert experiment.method == "blocks" and experiment.title == "Reminders on or off"
    copy = actions.new_version(world.researcher, experiment)
    assert copy.version == 2 and copy.seed != experiment.seed and copy.arms.count() == 2
    actions.update_experiment(world.researcher, copy, draft)
    copy.refresh_from_db()
    assert copy.method == "simple"


def test_a_missing_stratification_factor_is_named_and_enrolment_still_happens(world: World) -> None:
    experiment = running(world, method="stratified", design={"factors": ["phq9_band"]})
    participant, _record = signed(world, experiment.study)
    assert participant.state == "enrolled"
    assert not ParticipantAllocation.objects.exists()
    failed = AuditEvent.objects.get(action="research.allocation.failed")
    assert failed.subject_user_id == world.client_a.user_id
    with pytest.raises(ResearchError, match="baseline PHQ-9 band"):
        actions.allocate(experiment, participant, world.researcher, "retry")
    answer(world, world.client_a, "phq9", 1)
    link = actions.allocate(experiment, participant, world.researcher, "retry")
    assert link.allocation.inputs == {"phq9_band": "Mild"}  # eight items answered 1: a total of 8


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (
            {"design": {"factors": ["shoe_size"]}, "method": "minimisation"},
            "shoe_size is not a baseline factor",
        ),
        ({"design": {"factors": ["site"], "p_best": 0.5}, "method": "minimisation"}, "above 0.5"),
        ({"design": {"factors": ["site"], "p_best": 1.2}, "method": "minimisation"}, "above 0.5"),
        ({"arms": (ARMS[0],)}, "arm"),
        ({"arms": (ARMS[0], ARMS[0])}, "same key"),
        ({"arms": (ARMS[0], actions.ArmDraft("x", "X", features={"reminders": {"when": 1}}))}, "no setting"),
    ],
)
def test_bad_designs_are_refused_and_nothing_is_saved(world: World, draft: dict, message: str) -> None:
    study = make_study(world)
    values = {"title": "T", "arms": ARMS, **draft}
    with pytest.raises(ResearchError, match=message):
        actions.create_experiment(world.researcher, study, actions.ExperimentDraft(**values))
    assert not Experiment.objects.exists()


def test_a_therapist_cluster_shares_one_allocation(world: World) -> None:
    experiment = running(world, unit=Unit.THERAPIST, method="simple")
    a, _ = signed(world, experiment.study, world.client_a)
    b, _ = signed(world, experiment.study, world.client_b)
    links = ParticipantAllocation.objects.filter(participant__in=[a, b])
    assert links.count() == 2 and len({link.allocation_id for link in links}) == 1
    assert Allocation.objects.get().unit_key == f"therapist:{world.therapist.pk}"


def test_starting_allocates_those_already_enrolled_and_the_log_replays(world: World) -> None:
    study = make_study(world)
    clients = [world.client_a, world.client_b, *more_clients(world, 6)]
    for client in clients:
        signed(world, study, client)
    draft = actions.ExperimentDraft(
        title="Balance", arms=ARMS, method="minimisation", design={"factors": ["site"]}
    )
    experiment = actions.create_experiment(world.researcher, study, draft)
    assert actions.start(world.researcher, experiment) == []
    assert Allocation.objects.filter(experiment=experiment).count() == len(clients)
    assert replay_stored(experiment).ok
    document = allocation_log_document(experiment)
    assert engine.replay_document(document).ok
    assert all(e["unit"].startswith("C-") and "client:" not in str(e) for e in document["entries"])
    tampered = {**document, "entries": [dict(e) for e in document["entries"]]}
    flipped = {"on": "off", "off": "on"}[tampered["entries"][3]["arm"]]
    tampered["entries"][3]["arm"] = flipped
    result = engine.replay_document(tampered)
    assert not result.ok and result.diverges_at == 4


def test_a_row_changed_behind_the_application_breaks_the_stored_chain(world: World) -> None:
    experiment = running(world, method="simple")
    signed(world, experiment.study, world.client_a)
    signed(world, experiment.study, world.client_b)
    Allocation.objects.filter(sequence=1).update(inputs={"site": "elsewhere"})
    result = replay_stored(experiment)
    assert not result.ok and "allocation 1" in result.reason
