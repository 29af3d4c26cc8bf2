"""The research app's core: eligibility rules as data, the state order, pseudonyms and who sees a study."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from emotipal.platform.audit.models import AuditEvent
from emotipal.research import access, eligibility, pseudonyms
from emotipal.research.actions.participants import move
from emotipal.research.errors import ResearchError
from emotipal.research.models import ParticipantEvent, ParticipantState, Study
from tests.factories import World
from tests.research.study_factory import make_participant, make_study


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("phq", "must be a list"),
        ([{"criterion": "height", "min": 1}], "criterion must be one of"),
        ([{"criterion": "baseline_phq9"}], "needs a min, a max or both"),
        ([{"criterion": "baseline_phq9", "min": 20, "max": 10}], "min (20) is above max (10)"),
        ([{"criterion": "baseline_phq9", "min": 30}], "between 0 and 27"),
        ([{"criterion": "baseline_phq9", "min": "10"}], "whole number"),
        ([{"criterion": "baseline_phq9", "min": True}], "whole number"),
        ([{"criterion": "language", "any_of": []}], "list of 1 to"),
        ([{"criterion": "language", "any_of": ["en"], "min": 1}], "takes only any_of"),
        (
            [{"criterion": "language", "any_of": ["en"]}, {"criterion": "language", "any_of": ["es"]}],
            "more than one",
        ),
        ([["criterion", "language"]], "must be a mapping"),
    ],
)
def test_a_malformed_rule_is_refused_with_what_is_wrong(raw: Any, problem: str) -> None:
    with pytest.raises(
        eligibility.EligibilityRuleError, match=problem.replace("(", r"\(").replace(")", r"\)")
    ):
        eligibility.parse_rules(raw)


def test_rules_apply_with_inclusive_bounds_and_unknown_facts_fail() -> None:
    rules = eligibility.parse_rules(
        [{"criterion": "baseline_phq9", "min": 10, "max": 19}, {"criterion": "language", "any_of": ["es"]}]
    )
    assert eligibility.evaluate(rules, {"baseline_phq9": 10, "language": "es"}) == []
    assert eligibility.evaluate(rules, {"baseline_phq9": 19, "language": "es"}) == []
    failed = eligibility.evaluate(rules, {"baseline_phq9": 20, "language": "en"})
    assert [(f.criterion, f.reason) for f in failed] == [
        ("baseline_phq9", "outside"),
        ("language", "outside"),
    ]
    assert [f.reason for f in eligibility.evaluate(rules, {})] == ["unknown", "unknown"]


@given(st.integers(0, 27), st.integers(0, 27), st.integers(0, 27))
def test_a_numeric_rule_passes_exactly_inside_its_bounds(lo: int, hi: int, value: int) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    rules = eligibility.parse_rules([{"criterion": "baseline_phq9", "min": lo, "max": hi}])
    assert (eligibility.evaluate(rules, {"baseline_phq9": value}) == []) == (lo <= value <= hi)
    assert eligibility.parse_rules([r.as_data() for r in rules]) == rules


def test_pseudonyms_are_stable_within_a_study_and_differ_across_studies(world: World) -> None:
    one, two = make_study(world, "one"), make_study(world, "two")
    assert pseudonyms.pseudonym(one, "client", 7) == pseudonyms.pseudonym(one, "client", 7)
    assert pseudonyms.pseudonym(one, "client", 7) != pseudonyms.pseudonym(two, "client", 7)
    assert pseudonyms.pseudonym(one, "client", 7) != pseudonyms.pseudonym(one, "client", 8)
    reloaded = Study.objects.get(pk=one.pk)  # the key survives its encryption at rest
    assert pseudonyms.pseudonym(reloaded, "client", 7) == pseudonyms.pseudonym(one, "client", 7)
    shifts = {pseudonyms.date_shift_for(one, i) for i in range(200)}
    assert all(-pseudonyms.SHIFT_RANGE_DAYS <= s <= -1 for s in shifts) and len(shifts) > 100


def test_moving_a_participant_records_the_event_and_the_audit_row(world: World) -> None:
    study = make_study(world)
    participant = make_participant(world, study)
    for state in ("screened", "eligible", "consented", "enrolled"):
        move(participant, state, world.therapist)
    assert participant.state == ParticipantState.ENROLLED and participant.enrolled_at is not None
    assert list(ParticipantEvent.objects.filter(participant=participant).values_list("state", flat=True)) == [
        "screened",
        "eligible",
        "consented",
        "enrolled",
    ]
    audit = AuditEvent.objects.filter(action="research.participant.enrolled").get()
    assert audit.subject_user_id == world.client_a.user_id
    move(participant, "withdrawn", world.client_a.user, reason="No time")
    assert participant.withdrawal_policy == study.withdrawal_policy and participant.withdrawn_at is not None


def test_a_state_out_of_order_is_refused_and_changes_nothing(world: World) -> None:
    participant = make_participant(world, make_study(world))
    with pytest.raises(ResearchError, match="cannot become"):
        move(participant, "enrolled", world.therapist)
    participant.refresh_from_db()
    assert participant.state == "candidate" and not ParticipantEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="research.").exists()


def test_only_the_team_sees_a_study(world: World) -> None:
    study = make_study(world)
    assert access.get_study(world.researcher, study.slug) == study
    assert access.is_researcher(world.researcher) and not access.is_researcher(world.client_a.user)
    for outsider in (world.therapist, world.admin, world.foreign_therapist, world.client_a.user):
        with pytest.raises(Http404):
            access.get_study(outsider, study.slug)
        assert not access.studies_for(outsider).exists()
    with pytest.raises(Http404):
        access.get_study(world.researcher, "no-such-study")
    assert list(access.sites_to_decide(world.admin)) == list(study.sites.all())
    assert not access.sites_to_decide(world.therapist).exists()
