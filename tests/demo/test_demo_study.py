"""The demo's research study: set up as a researcher would, with participants who went through the real
consent steps (so their trail, consent records and audit rows are what real use leaves)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from emotipal.accounts.models import Membership, Role
from emotipal.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from emotipal.platform.audit.models import AuditEvent
from emotipal.research import queries_consent
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.models import ConsentRecord, Participant, SiteStatus, Study, StudyRole


def test_the_demo_study_has_a_researcher_a_site_three_languages_and_a_consort_flow(
    db: Any, client: Any
) -> None:
    load_demo()  # the defaults README describes
    study = Study.objects.get(slug="demo-study")
    researcher = study.principal_investigator
    assert researcher.email == DEMO_LOGINS["researcher"]
    assert Membership.objects.filter(user=researcher, role=Role.RESEARCHER).exists()
    assert study.members.get(user=researcher).role == StudyRole.INVESTIGATOR
    assert study.sites.get().status == SiteStatus.APPROVED and recruitment_problem(study) is None
    assert sorted(study.consent_documents.values_list("language", flat=True)) == ["ar", "en", "es"]

    participants = list(Participant.objects.filter(study=study).select_related("client__user"))
    states = Counter(p.state for p in participants)
    assert states == {"enrolled": 10, "declined": 2, "withdrawn": 2, "ineligible": 1, "eligible": 1}
    showcase = next(p for p in participants if p.client.user.email == DEMO_LOGINS["client"])
    assert showcase.state == "eligible"  # the demo client's invitation waits for them
    assert queries_consent.awaiting_answer(showcase.client.user) == 1
    for p in participants:
        trail = list(p.events.order_by("at", "pk").values_list("state", flat=True))
        assert trail[:3] == ["candidate", "screened", "ineligible" if p.state == "ineligible" else "eligible"]
        assert trail[-1] == p.state
        assert AuditEvent.objects.filter(
            action=f"research.participant.{p.state}", subject_user_id=p.client.user_id
        )
    ineligible = next(p for p in participants if p.state == "ineligible")
    assert ineligible.failed_criteria[0]["criterion"] == "baseline_phq9"
    withdrawn = [p for p in participants if p.state == "withdrawn"]
    assert all(p.withdrawal_policy == "keep" and p.withdrawn_at and p.enrolled_at for p in withdrawn)
    assert all(queries_consent.data_usable(p) for p in participants if p.state in ("enrolled", "withdrawn"))
    for record in ConsentRecord.objects.filter(participant__study=study).select_related("document"):
        assert record.text_hash == record.document.text_hash
        assert (
            record.document.language == record.participant.client.user.language
            or record.document.language == "en"
        )
    # spread over the weeks of recruitment, not all at once
    dates = {e.at.date() for p in participants for e in p.events.all()}
    assert len(dates) >= 10

    assert (
        client.post(
            "/accounts/login/", {"login": DEMO_LOGINS["researcher"], "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    assert not load_demo().created and Study.objects.count() == 1  # loading again adds nothing
