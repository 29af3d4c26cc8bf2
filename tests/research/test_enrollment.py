"""Inviting a client: who may, the screening against the study's criteria, and studies that cannot recruit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emotipal.platform.audit.models import AuditEvent
from emotipal.research import pseudonyms
from emotipal.research.actions.enrollment import client_facts, invite, invite_by_email
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    ConsentDocument,
    Participant,
    ParticipantState,
    SiteStatus,
    StudySite,
    StudyStatus,
)
from tests.factories import World
from tests.research.consent_helpers import answer
from tests.research.study_factory import make_study


def _trail(participant: Participant) -> list[str]:
    return list(participant.events.order_by("at", "pk").values_list("state", flat=True))


def test_a_therapist_invites_their_client_who_is_screened_eligible_at_once(world: World) -> None:
    study = make_study(world, eligibility=[{"criterion": "baseline_phq9", "min": 10, "max": 19}])
    answer(world, world.client_a, "phq9", 2)  # 8 items × 2 = 16: the baseline
    answer(world, world.client_a, "phq9", 3)  # a later, higher score is not the baseline
    participant = invite(world.therapist, study, world.client_a)
    assert participant.state == ParticipantState.ELIGIBLE
    assert _trail(participant) == ["candidate", "screened", "eligible"]
    assert participant.failed_criteria == []
    assert participant.date_shift_days == pseudonyms.date_shift_for(study, world.client_a.pk)
    assert participant.invited_by == world.therapist
    actions = set(
        AuditEvent.objects.filter(subject_user_id=world.client_a.user_id).values_list("action", flat=True)
    )
    assert {
        "research.participant.candidate",
        "research.participant.screened",
        "research.participant.eligible",
    } <= actions


def test_facts_come_from_the_first_scored_questionnaires_and_the_language(world: World) -> None:
    assert client_facts(world.client_a) == {
        "baseline_phq9": None,
        "baseline_gad7": None,
        "language": "en",
        "target_problem": None,
        "age_band": None,
    }
    answer(world, world.client_a, "gad7", 1)
    answer(world, world.client_a, "gad7", 3)
    answer(world, world.client_a, "phq9", 1)
    facts = client_facts(world.client_a)
    assert (facts["baseline_gad7"], facts["baseline_phq9"]) == (7, 8)


def test_a_client_outside_the_criteria_is_ineligible_with_the_failed_criteria(world: World) -> None:
    study = make_study(
        world,
        eligibility=[
            {"criterion": "baseline_phq9", "min": 10},
            {"criterion": "language", "any_of": ["es"]},
            {"criterion": "age_band", "any_of": ["18-25"]},
        ],
    )
    answer(world, world.client_a, "phq9", 1)  # 8: below the minimum
    participant = invite(world.therapist, study, world.client_a)
    assert participant.state == ParticipantState.INELIGIBLE
    assert [(f["criterion"], f["reason"]) for f in participant.failed_criteria] == [
        ("baseline_phq9", "outside"),
        ("language", "outside"),
        ("age_band", "unknown"),
    ]
    last = participant.events.order_by("-at", "-pk").first()
    assert last is not None and "baseline_phq9" in last.reason and "unknown" in last.reason


def test_a_client_without_a_baseline_is_not_assumed_eligible(world: World) -> None:
    study = make_study(world, eligibility=[{"criterion": "baseline_gad7", "min": 5}])
    participant = invite(world.therapist, study, world.client_a)
    assert participant.state == ParticipantState.INELIGIBLE
    assert participant.failed_criteria[0]["reason"] == "unknown"


def test_only_the_clients_therapist_or_the_study_team_may_invite(world: World) -> None:
    study = make_study(world)
    for outsider in (world.colleague, world.foreign_therapist, world.admin, world.client_b.user):
        with pytest.raises(ResearchError, match="No such client at the study's sites"):
            invite(outsider, study, world.client_a)
    with pytest.raises(ResearchError, match="No such client"):  # a client at a clinic that is not a site
        invite(world.foreign_therapist, study, world.client_other_clinic)
    assert not Participant.objects.exists()
    assert invite(world.researcher, study, world.client_b).state == ParticipantState.ELIGIBLE
    with pytest.raises(ResearchError, match="already been invited"):
        invite(world.therapist, study, world.client_b)


def test_a_researcher_invites_by_email_without_learning_who_is_a_client_where(world: World) -> None:
    study = make_study(world)
    participant = invite_by_email(world.researcher, study, "  CLIENT.A@example.org ")
    assert participant.client == world.client_a
    messages = set()
    for email in ("client.c@example.org", "therapist@example.org", "nobody@example.org", ""):
        with pytest.raises(ResearchError) as refused:
            invite_by_email(world.researcher, study, email)
        messages.add(refused.value.message)
    assert messages == {"No such client at the study's sites."}
    with pytest.raises(ResearchError, match="No such client"):  # not on the team
        invite_by_email(world.therapist, study, "client.b@example.org")
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": StudyStatus.DRAFT}, "not recruiting"),
        ({"status": StudyStatus.CLOSED}, "not recruiting"),
        ({"ethics_number": ""}, "needs an ethics approval"),
        ({"ethics_committee": " "}, "needs an ethics approval"),
        ({"ethics_valid_until": None}, "needs an ethics approval"),
        ({"ethics_valid_until": "yesterday"}, "past its approval cannot recruit"),
        ("no site", "No clinic has approved"),
        ("no consent", "no published consent"),
    ],
)
def test_a_study_that_cannot_recruit_refuses_invitations(world: World, change: object, problem: str) -> None:
    study = make_study(world)
    if change == "no site":
        StudySite.objects.filter(study=study).update(status=SiteStatus.PROPOSED)
    elif change == "no consent":
        ConsentDocument.objects.filter(study=study).update(published_at=None)
    else:
        assert isinstance(change, dict)
        for field, value in change.items():
            if value == "yesterday":
                value = timezone.localdate() - dt.timedelta(days=1)
            setattr(study, field, value)
        study.save()
    assert problem in (recruitment_problem(study) or "")
    with pytest.raises(ResearchError, match=problem):
        invite(world.therapist, study, world.client_a)
    with pytest.raises(ResearchError, match=problem):
        invite_by_email(world.researcher, study, world.client_a.user.email)
    assert not Participant.objects.exists()


def test_approval_valid_until_today_still_recruits(world: World) -> None:
    study = make_study(world, ethics_valid_until=timezone.localdate())
    assert recruitment_problem(study) is None


def test_the_invite_page_lists_own_clients_audits_the_read_and_invites(world: World) -> None:
    study = make_study(world)
    http = world.login(world.therapist)
    before = AuditEvent.objects.count()
    page = http.get("/research/invite/")
    assert page.status_code == 200
    html = page.content.decode()
    assert study.title in html and "Ana Client" in html and "Ben Client" in html
    assert 'name="email"' not in html  # the therapist is not on the team: no invitation by address
    reads = AuditEvent.objects.filter(pk__gt=before, action="read.research_invite", actor=world.therapist)
    assert set(reads.values_list("subject_user_id", flat=True)) == {
        world.client_a.user_id,
        world.client_b.user_id,
    }
    done = http.post("/research/invite/", {"study": study.slug, "client": world.client_a.pk})
    assert done.status_code == 302
    assert Participant.objects.get(client=world.client_a).state == ParticipantState.ELIGIBLE
    # another therapist's client, posted by hand: refused, nothing written
    colleague = world.login(world.colleague).post(
        "/research/invite/", {"study": study.slug, "client": world.client_b.pk}
    )
    assert colleague.status_code == 400 and "No such client at the study" in colleague.content.decode()
    foreign = world.login(world.foreign_therapist).post(
        "/research/invite/", {"study": study.slug, "client": world.client_b.pk}
    )
    assert foreign.status_code == 400 and "Choose a study" in foreign.content.decode()  # none recruits there
    assert not Participant.objects.filter(client=world.client_b).exists()
    bad = world.login(world.researcher).post(
        "/research/invite/", {"study": study.slug, "email": "x@example.org"}
    )
    assert bad.status_code == 400 and "No such client at the study" in bad.content.decode()
