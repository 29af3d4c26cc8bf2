"""Studies, their protocol, team, status, sites and consent versions: every write in one transaction with its
audit row. Refusals are ResearchError with a message for the person, and change nothing.

`recruitment_problem` is the one answer to "may this study enrol now?": the status page asks it before a study
starts recruiting, and the consent and enrolment actions ask it before anyone joins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from emotipal.accounts.models import Clinic, Membership, Role, User
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research import eligibility
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    ConsentDocument,
    DataUse,
    SiteStatus,
    Study,
    StudyMember,
    StudyRole,
    StudySite,
    StudyStatus,
    WithdrawalPolicy,
)

# Which status may follow which. A closed study may open again (an amendment extended recruitment); completed
# and withdrawn are final.
STATUS_NEXT: dict[str, frozenset[str]] = {
    StudyStatus.DRAFT: frozenset({StudyStatus.RECRUITING, StudyStatus.WITHDRAWN}),
    StudyStatus.RECRUITING: frozenset({StudyStatus.CLOSED, StudyStatus.WITHDRAWN}),
    StudyStatus.CLOSED: frozenset({StudyStatus.RECRUITING, StudyStatus.COMPLETED, StudyStatus.WITHDRAWN}),
    StudyStatus.COMPLETED: frozenset(),
    StudyStatus.WITHDRAWN: frozenset(),
}
FINAL_STATUSES = frozenset({StudyStatus.COMPLETED, StudyStatus.WITHDRAWN})
TEAM_ROLES_ADDED_BY_EMAIL = (StudyRole.RESEARCHER, StudyRole.STATISTICIAN)


# --- may this study enrol? ----------------------------------------------------------------------------------


def _known_or(study: Study, name: str, ask: Callable[[], bool]) -> bool:
    """A fact a list query annotated on the study (queries.study_rows), else asked now: no query per row."""
    known = getattr(study, name, None)
    return ask() if known is None else bool(known)


def approval_problem(study: Study, today: dt.date | None = None) -> str | None:
    """What stops this study from recruiting, whatever its status: ethics approval, sites, a consent text."""
    today = today or timezone.localdate(clock.now())
    if not (study.ethics_committee.strip() and study.ethics_number.strip() and study.ethics_valid_until):
        return _("The study needs an ethics approval (committee, number and valid-until date) to recruit.")
    if study.ethics_valid_until < today:
        return _("The ethics approval ended on %(date)s: a study past its approval cannot recruit.") % {
            "date": study.ethics_valid_until.isoformat()
        }
    if not _known_or(
        study, "has_approved_site", lambda: study.sites.filter(status=SiteStatus.APPROVED).exists()
    ):
        return _("No clinic has approved taking part yet: the study needs at least one approved site.")
    if not _known_or(
        study,
        "has_published_consent",
        lambda: study.consent_documents.filter(published_at__isnull=False).exists(),
    ):
        return _("The study has no published consent document yet.")
    return None


def recruitment_problem(study: Study, clinic_id: int | None = None) -> str | None:
    """Why nobody may be enrolled in `study` now (at a client of `clinic_id`, when given), or None if they may."""
    if study.status != StudyStatus.RECRUITING:
        return _("The study is not recruiting (it is “%(status)s”).") % {
            "status": StudyStatus(study.status).label
        }
    problem = approval_problem(study)
    if problem is not None or clinic_id is None:
        return problem
    if not study.sites.filter(clinic_id=clinic_id, status=SiteStatus.APPROVED).exists():
        return _("This clinic is not an approved site of the study.")
    return None


# --- create and edit ----------------------------------------------------------------------------------------


@dataclass
class Protocol:
    """What a researcher edits on the protocol page; validated by `check_protocol` before anything is saved."""

    title: str
    participant_summary: str = ""
    protocol_version: str = "1.0"
    ethics_committee: str = ""
    ethics_number: str = ""
    ethics_valid_until: dt.date | None = None
    principal_investigator_id: int | None = None
    target_sample_size: int = 0
    data_uses: list[str] = field(default_factory=list)
    withdrawal_policy: str = WithdrawalPolicy.KEEP
    eligibility: Any = field(default_factory=list)


PROTOCOL_FIELDS = (
    "title",
    "participant_summary",
    "protocol_version",
    "ethics_committee",
    "ethics_number",
    "ethics_valid_until",
    "principal_investigator_id",
    "target_sample_size",
    "data_uses",
    "withdrawal_policy",
    "eligibility",
)


def _clean_rules(raw: Any) -> list[dict[str, Any]]:
    try:
        rules = eligibility.parse_rules(raw)
    except eligibility.EligibilityRuleError as exc:
        raise ResearchError(str(exc), {"eligibility": str(exc)}) from exc
    return [rule.as_data() for rule in rules]


def check_protocol(protocol: Protocol) -> None:
    """ResearchError naming each field that is wrong; the eligibility rules with EligibilityRuleError's words."""
    errors: dict[str, str] = {}
    if not protocol.title.strip():
        errors["title"] = _("Give the study a title.")
    if not protocol.protocol_version.strip():
        errors["protocol_version"] = _("Give the protocol version.")
    unknown = set(protocol.data_uses) - set(DataUse.values)
    if unknown:
        errors["data_uses"] = _("Unknown data uses: %(names)s.") % {"names": ", ".join(sorted(unknown))}
    if protocol.withdrawal_policy not in WithdrawalPolicy.values:
        errors["withdrawal_policy"] = _("Choose what happens to data when a participant withdraws.")
    if protocol.target_sample_size < 0:
        errors["target_sample_size"] = _("The target sample size cannot be negative.")
    try:
        eligibility.parse_rules(protocol.eligibility)
    except eligibility.EligibilityRuleError as exc:
        errors["eligibility"] = str(exc)
    if errors:
        first = errors.get("eligibility") or _("Some fields need another look.")
        raise ResearchError(first, errors)


def _unique_slug(title: str) -> str:
    base = slugify(title)[:40].strip("-") or "study"
    slug, n = base, 2
    while Study.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_study(actor: User, protocol: Protocol) -> Study:
    """A new draft study led by its creator, who joins its team as investigator."""
    if not Membership.objects.active().filter(user=actor, role=Role.RESEARCHER).exists():
        raise ResearchError(_("Only researchers may create studies."))
    protocol.principal_investigator_id = actor.pk
    check_protocol(protocol)
    with transaction.atomic():
        study = Study.objects.create(
            slug=_unique_slug(protocol.title),
            title=protocol.title.strip(),
            participant_summary=protocol.participant_summary.strip(),
            protocol_version=protocol.protocol_version.strip(),
            ethics_committee=protocol.ethics_committee.strip(),
            ethics_number=protocol.ethics_number.strip(),
            ethics_valid_until=protocol.ethics_valid_until,
            principal_investigator=actor,
            target_sample_size=protocol.target_sample_size,
            data_uses=sorted(set(protocol.data_uses)),
            withdrawal_policy=protocol.withdrawal_policy,
            eligibility=_clean_rules(protocol.eligibility),
            created_by=actor,
        )
        StudyMember.objects.create(study=study, user=actor, role=StudyRole.INVESTIGATOR)
        record(actor, "research.study.create", study, role=StudyRole.INVESTIGATOR)
    return study


def protocol_of(study: Study) -> Protocol:
    return Protocol(**{name: getattr(study, name) for name in PROTOCOL_FIELDS})


def update_protocol(actor: User, study: Study, protocol: Protocol) -> list[str]:
    """Save the edited protocol; returns the names of the fields that changed (none: nothing written)."""
    check_protocol(protocol)
    with transaction.atomic():
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if locked.status in FINAL_STATUSES:
            raise ResearchError(_("A completed or withdrawn study's protocol cannot change."))
        team = set(
            locked.members.filter(role__in=(StudyRole.INVESTIGATOR, StudyRole.RESEARCHER)).values_list(
                "user_id", flat=True
            )
        )
        if protocol.principal_investigator_id not in team:
            message = _("The principal investigator must be an investigator or researcher on the team.")
            raise ResearchError(message, {"principal_investigator_id": message})
        new = {
            "title": protocol.title.strip(),
            "participant_summary": protocol.participant_summary.strip(),
            "protocol_version": protocol.protocol_version.strip(),
            "ethics_committee": protocol.ethics_committee.strip(),
            "ethics_number": protocol.ethics_number.strip(),
            "ethics_valid_until": protocol.ethics_valid_until,
            "principal_investigator_id": protocol.principal_investigator_id,
            "target_sample_size": protocol.target_sample_size,
            "data_uses": sorted(set(protocol.data_uses)),
            "withdrawal_policy": protocol.withdrawal_policy,
            "eligibility": _clean_rules(protocol.eligibility),
        }
        changed = [name for name, value in new.items() if getattr(locked, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, new[name])
        locked.save(update_fields=changed)
        record(actor, "research.study.protocol", locked, fields=changed)
    study.refresh_from_db()
    return changed


def change_status(actor: User, study: Study, new_status: str) -> Study:
    if new_status not in StudyStatus.values:
        raise ResearchError(_("Unknown status."))
    with transaction.atomic():
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if new_status not in STATUS_NEXT[locked.status]:
            raise ResearchError(
                _("A study that is “%(current)s” cannot become “%(new)s”.")
                % {"current": StudyStatus(locked.status).label, "new": StudyStatus(new_status).label}
            )
        if new_status == StudyStatus.RECRUITING:
            problem = approval_problem(locked)
            if problem:
                raise ResearchError(problem)
        old = locked.status
        locked.status = new_status
        locked.save(update_fields=["status"])
        record(actor, f"research.study.{new_status}", locked, status_before=old)
    study.refresh_from_db()
    return study


# --- team ---------------------------------------------------------------------------------------------------


def add_member(actor: User, study: Study, email: str, role: str) -> StudyMember:
    """Add a researcher of one of the actor's clinics to the team, found by their e-mail address."""
    if role not in TEAM_ROLES_ADDED_BY_EMAIL:
        raise ResearchError(_("Add a team member as researcher or statistician."))
    actor_clinics = Membership.objects.active().filter(user=actor).values("clinic_id")
    researchers = Membership.objects.active().filter(role=Role.RESEARCHER, clinic_id__in=actor_clinics)
    person = User.objects.filter(email__iexact=email.strip(), pk__in=researchers.values("user_id")).first()
    if person is None:  # the same answer whether the address is unknown or belongs to another clinic
        raise ResearchError(_("No researcher of your clinic has this e-mail address."), {"email": ""})
    with transaction.atomic():
        try:
            with transaction.atomic():
                member = StudyMember.objects.create(study=study, user=person, role=role)
        except IntegrityError as exc:
            raise ResearchError(_("%(name)s is on the team already.") % {"name": person}) from exc
        record(actor, "research.team.add", member, role=role)
    return member


# --- sites --------------------------------------------------------------------------------------------------


def propose_site(actor: User, study: Study, clinic_slug: str) -> StudySite:
    """Ask a clinic (named by its slug) to take part; its clinic admin approves or declines. A declined
    clinic may be asked again."""
    clinic = Clinic.objects.filter(slug=clinic_slug.strip().lower()).first()
    if clinic is None:
        raise ResearchError(_("No clinic has the short name “%(slug)s”.") % {"slug": clinic_slug.strip()})
    with transaction.atomic():
        site = StudySite.objects.select_for_update().filter(study=study, clinic=clinic).first()
        if site is not None and site.status != SiteStatus.DECLINED:
            raise ResearchError(
                _("%(clinic)s is a site already (%(status)s).")
                % {"clinic": clinic, "status": SiteStatus(site.status).label}
            )
        if site is None:
            site = StudySite.objects.create(study=study, clinic=clinic, proposed_by=actor)
        else:
            site.status, site.proposed_by, site.proposed_at = SiteStatus.PROPOSED, actor, clock.now()
            site.decided_by, site.decided_at = None, None
            site.save()
        record(actor, "research.site.propose", site, clinic_id=clinic.pk)
    return site


def decide_site(actor: User, site: StudySite, decision: str) -> StudySite:
    """The clinic admin's answer (the caller checked they administer the site's clinic)."""
    if decision not in (SiteStatus.APPROVED, SiteStatus.DECLINED):
        raise ResearchError(_("Approve or decline."))
    with transaction.atomic():
        locked = StudySite.objects.select_for_update().get(pk=site.pk)
        locked.status, locked.decided_by, locked.decided_at = decision, actor, clock.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        record(actor, f"research.site.{decision}", locked, clinic_id=locked.clinic_id)
    site.refresh_from_db()
    return site


# --- consent versions ---------------------------------------------------------------------------------------


def draft_version(study: Study) -> int:
    """The number the next published version will have: one above the highest published version."""
    latest = study.consent_documents.filter(published_at__isnull=False).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def save_consent_draft(actor: User, study: Study, language: str, title: str, body: str) -> ConsentDocument:
    """Write (or rewrite) the draft of the next version in one language. Published versions are never
    touched: only the unpublished draft of the next number is."""
    errors: dict[str, str] = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose one of the site's languages.")
    if not title.strip():
        errors["title"] = _("Give the consent document a title.")
    if not body.strip():
        errors["body_markdown"] = _("Write the information and consent text.")
    if errors:
        raise ResearchError(_("Some fields need another look."), errors)
    with transaction.atomic():
        Study.objects.select_for_update().get(pk=study.pk)  # one drafter or publisher at a time
        version = draft_version(study)
        document = ConsentDocument.objects.filter(
            study=study, version=version, language=language, published_at__isnull=True
        ).first() or ConsentDocument(study=study, version=version, language=language, created_by=actor)
        document.title, document.body_markdown = title.strip(), body.strip() + "\n"
        document.save()
        record(actor, "research.consent.draft", document, version=version, language=language)
    return document


def publish_consent(actor: User, study: Study) -> list[ConsentDocument]:
    """Publish the draft of the next version in every language it has. A language published before must have
    a text in the new version too, so nobody is asked to consent again in a language they do not read."""
    with transaction.atomic():
        Study.objects.select_for_update().get(pk=study.pk)
        version = draft_version(study)
        drafts = list(study.consent_documents.filter(version=version, published_at__isnull=True))
        if not drafts:
            raise ResearchError(
                _("There is no draft to publish: write the text of version %(v)d first.") % {"v": version}
            )
        earlier = set(
            study.consent_documents.filter(published_at__isnull=False).values_list("language", flat=True)
        )
        missing = sorted(earlier - {d.language for d in drafts})
        if missing:
            raise ResearchError(
                _("Version %(v)d has no text in %(languages)s, which earlier versions had: draft it first.")
                % {"v": version, "languages": ", ".join(missing)}
            )
        now = clock.now()
        study.consent_documents.filter(pk__in=[d.pk for d in drafts]).update(published_at=now)
        record(
            actor,
            "research.consent.publish",
            study,
            version=version,
            language=",".join(sorted(d.language for d in drafts)),
        )
    return list(study.consent_documents.filter(version=version))
