"""The study team's pages: landing, navigation, creating a study, the protocol, status rules, the team,
consent versions and the pseudonymous participant list (with its audit and a fixed number of queries)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import studies as actions
from emotipal.research.actions.participants import move
from emotipal.research.models import (
    ConsentDocument,
    SiteStatus,
    Study,
    StudyMember,
    StudyRole,
    StudyStatus,
)
from tests.factories import PASSWORD, World, make_user
from tests.research.study_factory import make_participant, make_study
from tests.research.team_factory import join, researcher_at

PROTOCOL = {
    "title": "Exposure between sessions",
    "participant_summary": "How often people practise.",
    "protocol_version": "1.0",
    "ethics_committee": "",
    "ethics_number": "",
    "ethics_valid_until": "",
    "target_sample_size": "30",
    "data_uses": ["homework", "exposure"],
    "withdrawal_policy": "remove",
    "eligibility": '[{"criterion": "baseline_phq9", "min": 5}]',
}


def audit_count(prefix: str = "research.") -> int:
    return AuditEvent.objects.filter(action__startswith=prefix).count()


# --- landing and navigation ---------------------------------------------------------------------------------


def test_a_researcher_logs_in_and_lands_on_their_studies(world: World, client: Any) -> None:
    make_study(world)
    response = client.post(
        "/accounts/login/", {"login": world.researcher.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/research/"
    assert response.status_code == 200
    assert b"Which homework helps" in response.content
    assert ("Studies", "/research/") in response.context["nav_items"]


def test_clinicians_keep_their_landing_and_see_no_studies(world: World) -> None:
    assert world.login(world.therapist).get("/")["Location"] == "/clients/"
    nav = world.login(world.therapist).get("/clients/").context["nav_items"]
    assert "/research/" not in {url for _label, url in nav}
    assert world.login(world.therapist).get("/research/").status_code == 403


# --- creating a study ---------------------------------------------------------------------------------------


def test_a_researcher_creates_a_draft_study_and_is_its_investigator(world: World) -> None:
    response = world.login(world.researcher).post("/research/new/", PROTOCOL)
    study = Study.objects.get(title="Exposure between sessions")
    assert response["Location"] == f"/research/studies/{study.slug}/"
    assert study.status == StudyStatus.DRAFT and study.principal_investigator == world.researcher
    assert study.eligibility == [{"criterion": "baseline_phq9", "min": 5}]
    assert study.data_uses == ["exposure", "homework"] and study.withdrawal_policy == "remove"
    assert StudyMember.objects.get(study=study).role == StudyRole.INVESTIGATOR
    assert AuditEvent.objects.filter(action="research.study.create", actor=world.researcher).count() == 1


def test_only_researchers_create_studies(world: World) -> None:
    for user in (world.therapist, world.admin, world.client_a.user):
        assert world.login(user).post("/research/new/", PROTOCOL).status_code == 403
    assert not Study.objects.exists()


MALFORMED_RULES = [
    ('[{"criterion": "baseline_phq9", "min": 20, "max": 10}]', "Rule 1: min (20) is above max (10)"),
    ('[{"criterion": "height", "min": 1}]', "Rule 1: criterion must be one of"),
    ('{"criterion": "language"}', "Eligibility must be a list of rules"),
    ('[{"criterion": "language", any_of: ["en"]}]', "not valid JSON (line 1, column"),
]


def test_a_malformed_rule_is_refused_when_saved_and_changes_nothing(world: World) -> None:
    study = make_study(world)
    before = {f: getattr(study, f) for f in actions.PROTOCOL_FIELDS}
    mark = audit_count()
    http = world.login(world.researcher)
    for rules, message in MALFORMED_RULES:
        edit = PROTOCOL | {"eligibility": rules, "principal_investigator": str(world.researcher.pk)}
        response = http.post(f"/research/studies/{study.slug}/protocol/", edit)
        assert response.status_code == 200
        assert message in response.content.decode(), rules
        study.refresh_from_db()
        assert {f: getattr(study, f) for f in actions.PROTOCOL_FIELDS} == before
        assert audit_count() == mark
        # The same rule given to the action directly is refused with EligibilityRuleError's words too.
        if "JSON" not in message:
            protocol = actions.protocol_of(study)
            protocol.eligibility = json.loads(rules)
            with pytest.raises(actions.ResearchError) as refused:
                actions.update_protocol(world.researcher, study, protocol)
            assert refused.value.message.startswith(message) and "eligibility" in refused.value.errors


def test_the_protocol_is_saved_with_an_audit_row_naming_the_fields(world: World) -> None:
    study = make_study(world)
    colleague = researcher_at(world.clinic, "r2@example.org")
    join(study, colleague, StudyRole.RESEARCHER)
    edit = PROTOCOL | {
        "principal_investigator": str(colleague.pk),
        "ethics_committee": "Harbour REC",
        "ethics_number": "H-1",
        "ethics_valid_until": "2030-01-31",
    }
    response = world.login(world.researcher).post(f"/research/studies/{study.slug}/protocol/", edit)
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.principal_investigator == colleague and study.ethics_valid_until == dt.date(2030, 1, 31)
    row = AuditEvent.objects.get(action="research.study.protocol")
    assert "principal_investigator_id" in row.sealed_detail["fields"]
    # Saving the same again writes nothing.
    world.login(world.researcher).post(f"/research/studies/{study.slug}/protocol/", edit)
    assert AuditEvent.objects.filter(action="research.study.protocol").count() == 1


def test_the_principal_investigator_must_be_on_the_team(world: World) -> None:
    study = make_study(world)
    statistician = researcher_at(world.clinic, "stats@example.org")
    join(study, statistician)
    protocol = actions.protocol_of(study)
    for outsider in (statistician, world.therapist):
        protocol.principal_investigator_id = outsider.pk
        with pytest.raises(actions.ResearchError, match="principal investigator"):
            actions.update_protocol(world.researcher, study, protocol)


def test_statisticians_read_the_study_but_do_not_edit_it(world: World) -> None:
    study = make_study(world)
    statistician = researcher_at(world.clinic, "stats@example.org")
    join(study, statistician)
    http = world.login(statistician)
    page = http.get(f"/research/studies/{study.slug}/")
    assert page.status_code == 200 and b"Edit protocol" not in page.content
    assert http.get(f"/research/studies/{study.slug}/protocol/").status_code == 404
    assert http.post(f"/research/studies/{study.slug}/status/", {"status": "closed"}).status_code == 404
    assert Study.objects.get(pk=study.pk).status == StudyStatus.RECRUITING


def test_a_researcher_of_another_study_gets_not_found(world: World) -> None:
    study = make_study(world)
    other = researcher_at(world.clinic, "r2@example.org")
    http = world.login(other)
    for path in ("", "protocol/", "consent/", "participants/"):
        assert http.get(f"/research/studies/{study.slug}/{path}").status_code == 404
    assert http.get("/research/studies/no-such-study/").status_code == 404
    assert b"Which homework helps" not in http.get("/research/").content


# --- status rules -------------------------------------------------------------------------------------------


def ready_draft(world: World, **overrides: Any) -> Study:
    return make_study(world, "draft-study", status=StudyStatus.DRAFT, **overrides)


NOT_READY = [
    ({"ethics_number": ""}, "needs an ethics approval"),
    ({"ethics_committee": ""}, "needs an ethics approval"),
    ({"ethics_valid_until": None}, "needs an ethics approval"),
    ({"ethics_valid_until": dt.date(2020, 1, 1)}, "ended on 2020-01-01"),
    ("no approved site", "at least one approved site"),
    ("no published consent", "no published consent document"),
]


def test_a_study_recruits_only_with_approval_a_site_and_a_consent_text(world: World) -> None:
    http = world.login(world.researcher)
    for i, (change, message) in enumerate(NOT_READY):
        study = make_study(
            world, f"draft-{i}", status=StudyStatus.DRAFT, **(change if isinstance(change, dict) else {})
        )
        if change == "no approved site":
            study.sites.update(status=SiteStatus.PROPOSED)
        if change == "no published consent":
            study.consent_documents.update(published_at=None)
        mark = audit_count()
        response = http.post(f"/research/studies/{study.slug}/status/", {"status": "recruiting"}, follow=True)
        assert message in response.content.decode(), change
        assert Study.objects.get(pk=study.pk).status == StudyStatus.DRAFT and audit_count() == mark
        assert message in (actions.approval_problem(study) or "")


def test_a_ready_study_starts_recruiting_and_closes(world: World) -> None:
    study = ready_draft(world)
    assert actions.recruitment_problem(study) is not None  # a draft does not enrol
    http = world.login(world.researcher)
    http.post(f"/research/studies/{study.slug}/status/", {"status": "recruiting"})
    study.refresh_from_db()
    assert study.status == StudyStatus.RECRUITING and actions.recruitment_problem(study) is None
    assert actions.recruitment_problem(study, clinic_id=world.clinic.pk) is None
    assert "not an approved site" in (
        actions.recruitment_problem(study, clinic_id=world.other_clinic.pk) or ""
    )
    http.post(f"/research/studies/{study.slug}/status/", {"status": "closed"})
    study.refresh_from_db()
    assert study.status == StudyStatus.CLOSED and "not recruiting" in (
        actions.recruitment_problem(study) or ""
    )
    assert list(
        AuditEvent.objects.filter(action__startswith="research.study.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "research.study.recruiting",
        "research.study.closed",
    ]


def test_a_recruiting_study_past_its_approval_cannot_enrol(world: World) -> None:
    study = make_study(world, ethics_valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert "a study past its approval cannot recruit" in (actions.recruitment_problem(study) or "")
    page = world.login(world.researcher).get(f"/research/studies/{study.slug}/")
    assert "a study past its approval cannot recruit" in page.content.decode()


def test_final_statuses_are_final(world: World) -> None:
    study = make_study(world, status=StudyStatus.COMPLETED)
    with pytest.raises(actions.ResearchError, match="cannot become"):
        actions.change_status(world.researcher, study, StudyStatus.RECRUITING)
    with pytest.raises(actions.ResearchError, match="cannot change"):
        actions.update_protocol(world.researcher, study, actions.protocol_of(study))


# --- team ---------------------------------------------------------------------------------------------------


def test_the_team_adds_a_researcher_of_the_same_clinic_by_email(world: World) -> None:
    study = make_study(world)
    colleague = researcher_at(world.clinic, "r2@example.org")
    http = world.login(world.researcher)
    http.post(f"/research/studies/{study.slug}/team/", {"email": "R2@Example.org", "role": "statistician"})
    assert StudyMember.objects.get(study=study, user=colleague).role == StudyRole.STATISTICIAN
    assert AuditEvent.objects.filter(action="research.team.add").count() == 1
    again = http.post(
        f"/research/studies/{study.slug}/team/",
        {"email": "r2@example.org", "role": "researcher"},
        follow=True,
    )
    assert "on the team already" in again.content.decode()
    assert StudyMember.objects.get(study=study, user=colleague).role == StudyRole.STATISTICIAN


def test_nobody_else_joins_a_team(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    attempts = [
        (
            researcher_at(world.other_clinic, "far@example.org").email,
            "researcher",
            "No researcher of your clinic",
        ),
        (world.therapist.email, "researcher", "No researcher of your clinic"),
        ("nobody@example.org", "researcher", "No researcher of your clinic"),
        (researcher_at(world.clinic, "r2@example.org").email, "investigator", "researcher or statistician"),
    ]
    for email, role, message in attempts:
        response = http.post(
            f"/research/studies/{study.slug}/team/", {"email": email, "role": role}, follow=True
        )
        assert message in response.content.decode(), email
    assert StudyMember.objects.filter(study=study).count() == 1


# --- consent versions ---------------------------------------------------------------------------------------


def draft(http: Any, study: Study, language: str, body: str = "## About\n\nText.") -> Any:
    return http.post(
        f"/research/studies/{study.slug}/consent/",
        {"language": language, "title": "Consent", "body_markdown": body},
    )


def test_consent_versions_are_drafted_per_language_and_published_once(world: World) -> None:
    study = make_study(world)  # version 1 published in en and es
    v1 = {d.pk: d.text_hash for d in study.consent_documents.all()}
    http = world.login(world.researcher)
    assert draft(http, study, "en", "## New\n\nChanged text.").status_code == 302
    refused = http.post(f"/research/studies/{study.slug}/consent/publish/", follow=True)
    assert "Version 2 has no text in es" in refused.content.decode()
    assert not ConsentDocument.objects.filter(version=2, published_at__isnull=False).exists()
    draft(http, study, "es", "## Nuevo\n\nTexto.")
    draft(http, study, "es", "## Nuevo\n\nTexto corregido.")  # a draft is rewritten, not duplicated
    http.post(f"/research/studies/{study.slug}/consent/publish/")
    v2 = ConsentDocument.objects.filter(study=study, version=2)
    assert v2.count() == 2 and all(d.published_at for d in v2)
    assert v2.get(language="es").body_markdown == "## Nuevo\n\nTexto corregido.\n"
    assert {d.pk: d.text_hash for d in study.consent_documents.filter(version=1)} == v1
    # Drafting now starts version 3; version 2 stays as published.
    draft(http, study, "en")
    assert ConsentDocument.objects.get(study=study, version=3).published_at is None
    assert v2.get(language="en").body_markdown == "## New\n\nChanged text.\n"
    page = http.get(f"/research/studies/{study.slug}/consent/").content.decode()
    assert v2.get(language="en").text_hash in page and "Version 3" in page
    assert AuditEvent.objects.filter(action="research.consent.publish").count() == 1


def test_publishing_without_a_draft_and_drafting_bad_input_change_nothing(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    nothing = http.post(f"/research/studies/{study.slug}/consent/publish/", follow=True)
    assert "no draft to publish" in nothing.content.decode()
    bad = http.post(
        f"/research/studies/{study.slug}/consent/", {"language": "fr", "title": "", "body_markdown": ""}
    )
    assert bad.status_code == 200 and not ConsentDocument.objects.filter(version=2).exists()
    statistician = researcher_at(world.clinic, "stats@example.org")
    join(study, statistician)
    assert draft(world.login(statistician), study, "en").status_code == 404
    assert world.login(statistician).get(f"/research/studies/{study.slug}/consent/").status_code == 200


# --- participants -------------------------------------------------------------------------------------------


def more_clients(world: World, n: int, first: int = 0) -> list[ClientProfile]:
    return [
        ClientProfile.objects.create(
            user=make_user(f"extra{first + i}@example.org", f"Extra Person{first + i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        for i in range(n)
    ]


def test_the_participant_list_is_pseudonymous_with_states_dates_and_counts(world: World) -> None:
    from emotipal.research.pseudonyms import pseudonym

    study = make_study(world)
    a = make_participant(world, study, world.client_a)
    b = make_participant(world, study, world.client_b)
    for state in ("screened", "eligible", "consented", "enrolled"):
        move(a, state, world.therapist)
    for state in ("screened", "ineligible"):
        move(b, state, world.therapist)
    response = world.login(world.researcher).get(f"/research/studies/{study.slug}/participants/")
    page = response.content.decode()
    assert pseudonym(study, "client", world.client_a.pk) in page
    assert pseudonym(study, "client", world.client_b.pk) in page
    for secret in ("Ana Client", "Ben Client", "client.a@example.org", "client.b@example.org"):
        assert secret not in page
    flow = response.context["flow"]
    assert flow.total == 2 and flow.now == {"enrolled": 1, "ineligible": 1}
    assert flow.ever == {
        "candidate": 2,
        "screened": 2,
        "eligible": 1,
        "consented": 1,
        "enrolled": 1,
        "ineligible": 1,
    }
    row_a = next(r for r in response.context["rows"] if r.state == "enrolled")
    assert [e.state for e in row_a.events] == ["candidate", "screened", "eligible", "consented", "enrolled"]
    assert all(e.on == timezone.localdate() for e in row_a.events)


def test_reading_the_participant_list_is_audited_once_per_participant(world: World) -> None:
    study = make_study(world)
    make_participant(world, study, world.client_a)
    make_participant(world, study, world.client_b)
    world.login(world.researcher).get(f"/research/studies/{study.slug}/participants/")
    rows = AuditEvent.objects.filter(action="read.research.participants", actor=world.researcher)
    assert sorted(rows.values_list("subject_user_id", flat=True)) == sorted(
        [world.client_a.user_id, world.client_b.user_id]
    )
    assert set(rows.values_list("clinic_id", flat=True)) == {world.clinic.pk}


def test_the_study_pages_cost_the_same_queries_for_any_number_of_participants(
    world: World, django_assert_num_queries: Any
) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    pages = (
        "/research/",
        f"/research/studies/{study.slug}/",
        f"/research/studies/{study.slug}/participants/",
    )
    counts = {}
    for n_more, first in ((1, 0), (5, 1)):
        for client in more_clients(world, n_more, first):
            participant = make_participant(world, study, client)
            move(participant, "screened", world.therapist)
        for path in pages:
            with CaptureQueriesContext(connection) as captured:
                assert http.get(path).status_code == 200
            counts.setdefault(path, []).append(len(captured))
    assert all(a == b for a, b in counts.values()), counts
    # And the figure itself, so a change that adds a query per page is seen.
    with django_assert_num_queries(counts[pages[2]][0]):
        http.get(pages[2])
