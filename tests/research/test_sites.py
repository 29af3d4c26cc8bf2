"""Study sites: the team proposes a clinic by its short name; that clinic's admin sees the proposal and
approves or declines it (audited); nobody else decides, and a study needs an approved site to recruit."""

from __future__ import annotations

from emotipal.accounts.models import Membership, Role
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import studies as actions
from emotipal.research.models import SiteStatus, StudySite, StudyStatus
from tests.factories import World, make_user
from tests.research.study_factory import make_study


def elsewhere_admin(world: World) -> object:
    admin = make_user("admin.elsewhere@example.org", "Eli Elsewhere")
    Membership.objects.create(user=admin, clinic=world.other_clinic, role=Role.ADMIN)
    return admin


def test_the_team_proposes_a_clinic_and_its_admin_approves(world: World) -> None:
    study = make_study(world)
    admin = elsewhere_admin(world)
    response = world.login(world.researcher).post(
        f"/research/studies/{study.slug}/sites/", {"clinic": " Elsewhere "}, follow=True
    )
    assert "Elsewhere Clinic was asked to take part" in response.content.decode()
    site = StudySite.objects.get(study=study, clinic=world.other_clinic)
    assert site.status == SiteStatus.PROPOSED and site.proposed_by == world.researcher
    proposed = AuditEvent.objects.get(action="research.site.propose")
    assert proposed.clinic_id == world.other_clinic.pk

    http = world.login(admin)
    page = http.get("/research/sites/")
    assert page.status_code == 200 and [s.pk for s in page.context["sites"]] == [site.pk]
    assert ("Study sites", "/research/sites/") in page.context["nav_items"]
    assert "REC-2026-017" in page.content.decode()  # the approval the admin decides on
    http.post(f"/research/sites/{site.pk}/decide/", {"decision": "approved"})
    site.refresh_from_db()
    assert site.status == SiteStatus.APPROVED and site.decided_by == admin and site.decided_at
    decided = AuditEvent.objects.get(action="research.site.approved")
    assert decided.actor == admin and decided.clinic_id == world.other_clinic.pk
    assert actions.recruitment_problem(study, clinic_id=world.other_clinic.pk) is None


def test_a_declined_clinic_stops_recruitment_there_and_may_be_asked_again(world: World) -> None:
    study = make_study(world)
    site = study.sites.get()
    world.login(world.admin).post(f"/research/sites/{site.pk}/decide/", {"decision": "declined"})
    site.refresh_from_db()
    assert site.status == SiteStatus.DECLINED
    assert "approved site" in (actions.approval_problem(study) or "")
    assert "approved site" in (actions.recruitment_problem(study) or "")
    # Asked again: proposed afresh, the old decision cleared.
    world.login(world.researcher).post(f"/research/studies/{study.slug}/sites/", {"clinic": "harbour"})
    site.refresh_from_db()
    assert site.status == SiteStatus.PROPOSED and site.decided_by is None and site.decided_at is None


def test_bad_proposals_are_refused_and_change_nothing(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    unknown = http.post(f"/research/studies/{study.slug}/sites/", {"clinic": "atlantis"}, follow=True)
    assert "No clinic has the short name “atlantis”" in unknown.content.decode()
    twice = http.post(f"/research/studies/{study.slug}/sites/", {"clinic": "harbour"}, follow=True)
    assert "is a site already" in twice.content.decode()
    assert StudySite.objects.filter(study=study).count() == 1
    assert not AuditEvent.objects.filter(action="research.site.propose").exists()


def test_only_the_sites_clinic_admin_decides(world: World) -> None:
    study = make_study(world, status=StudyStatus.DRAFT)
    site = study.sites.get()
    StudySite.objects.filter(pk=site.pk).update(status=SiteStatus.PROPOSED)
    other_admin = elsewhere_admin(world)
    assert (
        world.login(other_admin)
        .post(f"/research/sites/{site.pk}/decide/", {"decision": "approved"})
        .status_code
        == 404
    )
    assert world.login(other_admin).get("/research/sites/").context["sites"] == []
    for user in (world.researcher, world.therapist, world.client_a.user):
        assert (
            world.login(user).post(f"/research/sites/{site.pk}/decide/", {"decision": "approved"}).status_code
            == 403
        )
    nonsense = world.login(world.admin).post(
        f"/research/sites/{site.pk}/decide/", {"decision": "maybe"}, follow=True
    )
    assert "Approve or decline" in nonsense.content.decode()
    site.refresh_from_db()
    assert (
        site.status == SiteStatus.PROPOSED
        and not AuditEvent.objects.filter(action__startswith="research.site.").exists()
    )


def test_admins_of_clinics_without_studies_see_no_research_in_the_navigation(world: World) -> None:
    nav = world.login(world.admin).get("/clinic/").context["nav_items"]
    assert "/research/sites/" not in {url for _label, url in nav}
