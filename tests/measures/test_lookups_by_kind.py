"""The measures page finds thought records by template kind and mechanism questionnaires by role, so a
clinic's own copies (other slug, other key) are drawn exactly like the shipped ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emotipal.definitions.instruments import DefinitionError, check_definition
from emotipal.homework import services as homework
from emotipal.library.services import clone_template
from emotipal.measures import client_page as measures_view
from emotipal.measures import services as measures
from emotipal.measures.builder import BuilderError, parse
from emotipal.measures.models import Instrument
from tests.factories import World, complete_thought_record, plan_for

ANSWERS = {f"sc_{i}": 6 for i in range(1, 6)}  # mean 6 of 10


def _submit_thought_record(world: World, version: Any) -> None:
    assignment = homework.assign_homework(world.therapist, world.client_a, plan_for(version))
    homework.submit_entry(
        world.client_a.user,
        assignment.pk,
        homework.Submission(answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3),
    )


def _answer(world: World, instrument: Instrument, answers: dict[str, Any]) -> None:
    response = measures.ask_now(world.therapist, world.client_a, instrument)
    measures.save_answers(world.client_a.user, response.pk, answers, submit=True)


def _clinic_copy_of_skills_confidence(world: World) -> Instrument:
    shipped = Instrument.objects.get(key="skills_confidence", clinic=None)
    definition = copy.deepcopy(measures.latest_version(shipped).definition)
    definition.update(key="harbour_confidence", name="Harbour confidence")
    version, _ = measures.store_instrument(definition, clinic=world.clinic)
    return version.instrument


def _chart(charts: list[Any], title: str) -> Any:
    return next(c for c in charts if str(c.title) == title)


def test_a_clinic_copy_of_the_thought_record_feeds_the_belief_chart(world: World) -> None:
    own = clone_template(world.therapist, world.thought_record, world.clinic)
    assert own.template.slug != "thought-record" and own.template.kind == "thought_record"
    _submit_thought_record(world, own)
    rows = measures_view.thought_record_beliefs(world.client_a)
    assert [(r["name"], r["value"]) for r in rows] == [("Belief in hot thought, before", 90)]


def test_other_kinds_stay_off_the_belief_chart(world: World) -> None:
    # The exposure template has other fields; only thought records count, whatever their slug.
    assert measures_view.thought_record_beliefs(world.client_a) == []
    _submit_thought_record(world, world.thought_record)
    assert len(measures_view.thought_record_beliefs(world.client_a)) == 1


def test_a_clinic_copy_of_skills_confidence_is_a_mechanism_not_a_symptom_chart(world: World) -> None:
    own = _clinic_copy_of_skills_confidence(world)
    _answer(world, own, ANSWERS)
    _answer(world, Instrument.objects.get(key="phq9", clinic=None), {f"phq9_{i}": 1 for i in range(1, 10)})
    page = measures_view.build(world.therapist, world.client_a)
    assert page["series"]["harbour_confidence"]["role"] == "mechanism"
    # One symptom trajectory (PHQ-9); the clinic's confidence questionnaire is on the mechanisms chart.
    trajectories = [c for c in page["charts"] if c.id.startswith("chart-") and c.id != "chart-mechanisms"]
    assert [c.id for c in trajectories] == ["chart-phq9"]
    mechanisms = _chart(page["charts"], "Mechanisms of change")
    assert "Harbour confidence (x10)" in [str(c) for c in mechanisms.columns]
    column = [str(c) for c in mechanisms.columns].index("Harbour confidence (x10)")
    assert [row[column] for row in mechanisms.rows] == ["60"]


def test_the_shipped_skills_confidence_keeps_its_mechanism_line(world: World) -> None:
    _answer(world, Instrument.objects.get(key="skills_confidence", clinic=None), ANSWERS)
    page = measures_view.build(world.therapist, world.client_a)
    assert "Skills confidence (x10)" in [
        str(c) for c in _chart(page["charts"], "Mechanisms of change").columns
    ]
    assert all(c.id != "chart-skills_confidence" for c in page["charts"])


def test_the_measures_page_renders_with_clinic_copies(world: World) -> None:
    _submit_thought_record(world, clone_template(world.therapist, world.thought_record, world.clinic))
    _answer(world, _clinic_copy_of_skills_confidence(world), ANSWERS)
    page = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/measures/")
    assert page.status_code == 200
    assert b"Harbour confidence (x10)" in page.content
    assert b"Belief in hot thought, before" in page.content


def test_role_is_checked_and_the_builder_can_set_it() -> None:
    definition = parse("Name: Coping\nRole: mechanism\nScoring: mean\nItems:\n[scale 0-10] I can cope\n")
    assert definition["role"] == "mechanism"
    with pytest.raises(BuilderError, match="role must be outcome or mechanism"):
        parse("Name: Coping\nRole: mood\nItems:\n[scale 0-10] I can cope\n")
    with pytest.raises(DefinitionError, match="role"):
        check_definition({**definition, "role": "symptom"})
