"""The feature registry: defaults outside experiments, an arm's settings inside one, bad settings refused."""

from __future__ import annotations

import pytest

from emotipal.platform import features
from emotipal.research.models import AppendOnlyError, ExperimentState
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

pytestmark = pytest.mark.django_db


def test_a_client_in_no_experiment_gets_every_default(world):
    settings = features.settings_for(world.client_a)
    assert settings == {key: f.defaults() for key, f in features.FEATURES.items()}
    assert settings["reminders"]["enabled"] is True


def test_each_arm_gets_its_own_settings_and_others_keep_defaults(world):
    study = make_study(world)
    experiment = make_experiment(study)
    place_in_arm(experiment, make_participant(world, study, world.client_a), "off")
    place_in_arm(experiment, make_participant(world, study, world.client_b), "on")
    assert features.value(world.client_a, "reminders")["enabled"] is False
    assert features.value(world.client_b, "reminders")["enabled"] is True
    assert features.value(world.client_a, "reminders")["wording"] == "standard"  # default filled in


def test_a_stopped_experiment_or_a_withdrawn_participant_returns_to_defaults(world):
    study = make_study(world)
    experiment = make_experiment(study)
    participant = make_participant(world, study, world.client_a)
    place_in_arm(experiment, participant, "off")
    experiment.state = ExperimentState.STOPPED
    experiment.save()
    world.client_a.refresh_from_db()
    assert features.value(world.client_a, "reminders")["enabled"] is True


def test_settings_are_asked_once_per_client_object(world, django_assert_num_queries):
    study = make_study(world)
    place_in_arm(make_experiment(study), make_participant(world, study, world.client_a), "off")
    client = type(world.client_a).objects.get(pk=world.client_a.pk)
    with django_assert_num_queries(1):
        for key in features.FEATURES:
            features.value(client, key)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"nope": {}}, "no feature called nope"),
        ({"reminders": {"colour": "red"}}, "has no setting colour"),
        ({"reminders": {"enabled": "yes"}}, "true or false"),
        ({"reminders": {"wording": "shouty"}}, "must be one of"),
        ({"reminders": {"time": "25:00"}}, "time of day"),
        ({"reminders": []}, "must be a mapping"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(settings, message):
    with pytest.raises(features.FeatureError, match=message):
        features.check_settings(settings)


def test_every_feature_names_its_code_path_and_has_defaults():
    for feature in features.FEATURES.values():
        assert feature.used_in
        assert features.check_settings({feature.key: {}}) == {feature.key: feature.defaults()}


def test_the_allocation_log_refuses_changes_and_deletion(world):
    study = make_study(world)
    link = place_in_arm(make_experiment(study), make_participant(world, study, world.client_a), "on")
    row = link.allocation
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert row.row_hash == row.compute_hash()
