"""Inviting a client to a study and screening them against its criteria, at once and on the record.

Who may invite: the client's own therapist, when the client's clinic is an approved site of a recruiting
study; or a member of the study's team who manages it (investigator, researcher), by the client's e-mail
address, within the clinics that are approved sites. A researcher who types an address that is not a client
at those sites hears only "no such client at the study's sites": research never tells a researcher who is a
client where.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile, Membership, Role
from emotipal.measures.models import Response
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research import access, eligibility, pseudonyms
from emotipal.research.actions.participants import move
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    Participant,
    ParticipantEvent,
    ParticipantState,
    SiteStatus,
    Study,
    StudySite,
)

BASELINE_INSTRUMENTS = {"baseline_phq9": "phq9", "baseline_gad7": "gad7"}


def no_such_client() -> str:
    return _("No such client at the study's sites.")


def site_clinic_ids(study: Study) -> set[int]:
    return set(
        StudySite.objects.filter(study=study, status=SiteStatus.APPROVED).values_list("clinic_id", flat=True)
    )


def is_therapist_of(user: Any, client: ClientProfile) -> bool:
    return (
        client.therapist_id == getattr(user, "pk", None)
        and Membership.objects.active()
        .filter(user=user, clinic_id=client.clinic_id, role=Role.THERAPIST)
        .exists()
    )


def may_invite(user: Any, study: Study, client: ClientProfile) -> bool:
    """The client is at an approved site, and the user is their therapist or manages the study."""
    if client.clinic_id not in site_clinic_ids(study):
        return False
    return is_therapist_of(user, client) or access.can_manage(user, study)


def _baseline(client: ClientProfile, instrument_key: str) -> int | None:
    """The first scored response of an instrument (the baseline), or None when there is none yet."""
    responses = (
        Response.objects.filter(
            client=client,
            status=Response.Status.COMPLETED,
            instrument_version__instrument__key=instrument_key,
            instrument_version__instrument__clinic__isnull=True,
        )
        .exclude(completed_at__isnull=True)
        .order_by("completed_at", "pk")
    )
    # Scores are encrypted, so "the first with a total" is found in Python, oldest first.
    for response in responses.iterator():
        if response.total is not None:
            return round(response.total)
    return None


def client_facts(client: ClientProfile) -> dict[str, Any]:
    """The facts eligibility rules are checked against, from what EmotiPal holds about the client.

    target_problem would be the categories of the client's assigned exercises, but the library has no
    categories yet, and the profile records no age band: both stay unknown, so rules on them fail as
    "unknown" rather than being assumed."""
    facts: dict[str, Any] = {key: _baseline(client, inst) for key, inst in BASELINE_INSTRUMENTS.items()}
    facts["language"] = client.user.language
    facts["target_problem"] = None
    facts["age_band"] = None
    return facts


def screen(participant: Participant, actor: Any) -> Participant:
    """Check the participant against the study's criteria: screened, then eligible or ineligible."""
    with transaction.atomic():
        participant = move(participant, ParticipantState.SCREENED, actor)
        rules = eligibility.parse_rules(participant.study.eligibility)
        failures = eligibility.evaluate(rules, client_facts(participant.client))
        participant.failed_criteria = [f.as_data() for f in failures]
        participant.save(update_fields=["failed_criteria"])
        if failures:
            reason = "; ".join(f"{f.rule} ({f.reason})" for f in failures)
            return move(participant, ParticipantState.INELIGIBLE, actor, reason)
        return move(participant, ParticipantState.ELIGIBLE, actor, "all criteria met")


def invite(actor: Any, study: Study, client: ClientProfile) -> Participant:
    """Invite `client` to `study` and screen them at once. ResearchError says why not."""
    problem = recruitment_problem(study)
    if problem:
        raise ResearchError(problem)
    if not may_invite(actor, study, client):
        raise ResearchError(no_such_client())
    with transaction.atomic():
        if Participant.objects.filter(study=study, client=client).exists():
            raise ResearchError(_("This client has already been invited to this study."))
        participant = Participant.objects.create(
            study=study,
            client=client,
            invited_by=actor,
            date_shift_days=pseudonyms.date_shift_for(study, client.pk),
        )
        ParticipantEvent.objects.create(
            participant=participant, state=ParticipantState.CANDIDATE, at=clock.now(), actor=actor
        )
        record(
            actor,
            "research.participant.candidate",
            participant,
            subject_user_id=client.user_id,
            clinic_id=client.clinic_id,
        )
        return screen(participant, actor)


def invite_by_email(actor: Any, study: Study, email: str) -> Participant:
    """A study team member invites the client with this e-mail address at one of the study's sites."""
    problem = recruitment_problem(study)
    if problem:
        raise ResearchError(problem)
    if not access.can_manage(actor, study):
        raise ResearchError(no_such_client())
    client = (
        ClientProfile.objects.select_related("user")
        .filter(user__email__iexact=(email or "").strip(), clinic_id__in=site_clinic_ids(study))
        .first()
    )
    if client is None or not (email or "").strip():
        raise ResearchError(no_such_client(), {"email": no_such_client()})
    return invite(actor, study, client)


def studies_to_invite_to(user: Any) -> list[Study]:
    """Recruiting studies this user may invite to: those they manage, and those with an approved site at a
    clinic where they are a therapist."""
    therapist_clinics = Membership.objects.active().filter(user=user, role=Role.THERAPIST).values("clinic_id")
    candidates = Study.objects.filter(
        sites__status=SiteStatus.APPROVED, sites__clinic_id__in=therapist_clinics
    )
    found = {s.pk: s for s in candidates} | {
        s.pk: s for s in access.studies_for(user) if access.can_manage(user, s)
    }
    return sorted((s for s in found.values() if recruitment_problem(s) is None), key=lambda s: s.title)
