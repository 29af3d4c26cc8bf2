"""Who may see or do what in research. Studies are visible to their team only; anyone else gets 404.

- A study's team (StudyMember) sees the study, its pseudonymous participants and its exports. Team members
  never see names, e-mail addresses or clinical pages through research.
- A clinic admin sees the studies that propose their clinic as a site (title, investigator, approval), to
  approve or decline the clinic joining, and nothing of their participants.
- A client sees their own participations (to consent, download their signed copy, withdraw).
- Care staff who are not on a study see nothing of it: research never shows on clinical pages, with one
  exception: where an experiment's design is open, a client's own care team sees the client's arm on the
  client's page (research/queries_experiments.open_arms_of_client). Clients never see their arm.

Experiments (research/views/experiments.py, research/api_experiments.py):

- The study team sees a study's experiments: design, state, and how many are allocated to each arm. Nobody,
  on any page or in the API, sees the method's state, the seed while it matters, or which arm comes next.
- Investigators and researchers on the team manage them (create, edit a draft, start, stop, new version, ask
  the method to try again for participants not allocated yet). Statisticians read only.
- The allocation log (and a REDCap table generated from the design's seed) holds what predicts the next
  allocation: the seed and the method's state. The study's statistician, who does not enrol anyone, may
  download it at any time; the investigator, who recruits, only once the experiment has stopped: before,
  the seed and state would let the person enrolling infer the next arm.
  Replaying the stored log (ok, or where it diverges) reveals nothing of what comes next: the statistician
  and the investigator may replay at any time. Other team members get 403, anyone else 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from emotipal.accounts import access as accounts_access
from emotipal.accounts.models import ClientProfile, Role
from emotipal.platform.audit.services import record
from emotipal.research.models import (
    Experiment,
    ExperimentState,
    Participant,
    Study,
    StudyAnalysis,
    StudyExport,
    StudyMember,
    StudyRole,
    StudySite,
)

MANAGING_ROLES = (StudyRole.INVESTIGATOR, StudyRole.RESEARCHER)


def studies_for(user: Any) -> QuerySet[Study]:
    """The studies on whose team this user is."""
    if not user.is_authenticated:
        return Study.objects.none()
    return Study.objects.filter(members__user=user).distinct()


def is_researcher(user: Any) -> bool:
    """Shows the research navigation: a researcher membership in a clinic or a place on a study team."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_emotipal_is_researcher", None)
    if cached is None:
        cached = (
            Role.RESEARCHER in accounts_access.roles_of(user)
            or StudyMember.objects.filter(user=user).exists()
        )
        user._emotipal_is_researcher = cached
    return cached


def team_role(user: Any, study: Study) -> str | None:
    if not user.is_authenticated:
        return None
    return StudyMember.objects.filter(study=study, user=user).values_list("role", flat=True).first()


def get_study(user: Any, slug: str) -> Study:
    """A study of this user's team, else 404 (the same answer whether or not it exists)."""
    try:
        return studies_for(user).select_related("principal_investigator").get(slug=slug)
    except (Study.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such study") from exc


def can_manage(user: Any, study: Study) -> bool:
    """Edit the protocol, sites and consent texts; invite; export. Statisticians read and download only."""
    return team_role(user, study) in MANAGING_ROLES


def can_download(user: Any, study: Study) -> bool:
    return team_role(user, study) is not None


def get_managed_study(user: Any, slug: str) -> Study:
    study = get_study(user, slug)
    if not can_manage(user, study):
        raise Http404("No such study")
    return study


def may_create_study(user: Any) -> bool:
    return Role.RESEARCHER in accounts_access.roles_of(user)


def sites_to_decide(user: Any) -> QuerySet[StudySite]:
    """Study sites at the clinics this user administers: what a clinic admin approves or declines."""
    clinics = accounts_access.clinics_where(user, Role.ADMIN)
    return StudySite.objects.filter(clinic__in=clinics).select_related(
        "study", "clinic", "study__principal_investigator"
    )


def get_site_to_decide(user: Any, site_id: int) -> StudySite:
    try:
        return sites_to_decide(user).get(pk=site_id)
    except (StudySite.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such study site") from exc


def own_participations(user: Any) -> QuerySet[Participant]:
    """A client's own participations (every state), for their consent and withdrawal pages."""
    if not user.is_authenticated:
        return Participant.objects.none()
    return Participant.objects.filter(client__user=user).select_related("study")


def get_own_participation(user: Any, participant_id: int) -> Participant:
    try:
        return own_participations(user).get(pk=participant_id)
    except (Participant.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such study") from exc


def get_participant(user: Any, study: Study, participant_id: int) -> Participant:
    """A participant of a study this user is on the team of (the study already checked by get_study)."""
    if team_role(user, study) is None:
        raise Http404("No such participant")
    try:
        return Participant.objects.select_related("study").get(pk=participant_id, study=study)
    except (Participant.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such participant") from exc


def exports_of(user: Any, study: Study) -> QuerySet[StudyExport]:
    """A study's exports, for its team (the study already checked by get_study)."""
    if team_role(user, study) is None:
        return StudyExport.objects.none()
    return StudyExport.objects.filter(study=study).select_related("requested_by", "study")


def get_export(user: Any, study: Study, export_id: int) -> StudyExport:
    try:
        return exports_of(user, study).get(pk=export_id)
    except (StudyExport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such export") from exc


def analyses_of(user: Any, study: Study) -> QuerySet[StudyAnalysis]:
    """The analyses run on the study's exports: for its team only (the study already checked by get_study)."""
    if team_role(user, study) is None:
        return StudyAnalysis.objects.none()
    return StudyAnalysis.objects.filter(export__study=study).select_related("export", "requested_by")


def get_analysis(user: Any, study: Study, analysis_id: int) -> StudyAnalysis:
    try:
        return analyses_of(user, study).get(pk=analysis_id)
    except (StudyAnalysis.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such analysis") from exc


def get_export_to_analyse(user: Any, study: Study, export_id: int) -> StudyExport:
    """One of the study's exports, for a team member to analyse (whether it is finished is the action's check)."""
    return get_export(user, study, export_id)


def note_participant_reads(user: Any, study: Study, clients: Iterable[ClientProfile]) -> int:
    """Audit a team member's read of a study's participant list: one row per participant's client, so the
    client's "who has seen my data?" answer names the researcher too (one INSERT for the whole list)."""
    return accounts_access.note_reads(user, clients, "research.participants", study=study.slug)


def note_export_download(user: Any, export: StudyExport) -> None:
    """Audit that a team member took an export's files away."""
    record(user, "read.research.export", export, via="download")


# --- experiments ---------------------------------------------------------------------------------------


def experiments_of(user: Any, study: Study) -> QuerySet[Experiment]:
    """A study's experiments (every version), for its team only (the study already checked by get_study)."""
    if team_role(user, study) is None:
        return Experiment.objects.none()
    return Experiment.objects.filter(study=study).select_related("study")


def get_experiment(user: Any, study: Study, experiment_id: int) -> Experiment:
    try:
        return experiments_of(user, study).get(pk=experiment_id)
    except (Experiment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such experiment") from exc


def get_managed_experiment(user: Any, slug: str, experiment_id: int) -> Experiment:
    """An experiment of a study this user manages (investigator or researcher on its team), else 404."""
    return get_experiment(user, get_managed_study(user, slug), experiment_id)


def may_replay_log(user: Any, study: Study) -> bool:
    return team_role(user, study) in (StudyRole.STATISTICIAN, StudyRole.INVESTIGATOR)


def may_download_log(user: Any, experiment: Experiment) -> bool:
    """The statistician at any time; the investigator once the experiment has stopped (see the module)."""
    role = team_role(user, experiment.study)
    if role == StudyRole.STATISTICIAN:
        return True
    return role == StudyRole.INVESTIGATOR and experiment.state == ExperimentState.STOPPED


def note_allocation_log_download(user: Any, experiment: Experiment, clients: Iterable[ClientProfile]) -> int:
    """Audit a download of the allocation log: one read row per allocated participant's client (the log holds
    their pseudonyms and baseline levels), and one row for the log itself."""
    record(user, "read.research.allocation_log", experiment, study=experiment.study.slug)
    return accounts_access.note_reads(
        user, clients, "research.participants", study=experiment.study.slug, experiment=experiment.pk
    )


def note_allocation_table_download(user: Any, experiment: Experiment) -> None:
    """Audit that someone took a generated REDCap allocation table (an allocation sequence) away."""
    record(user, "read.research.allocation_table", experiment, study=experiment.study.slug)
