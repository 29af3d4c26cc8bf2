"""Walks every URL pattern and API operation as each kind of user and checks who may see what.

A route without a row here fails `test_every_route_has_a_row`. Third-party account pages (django-allauth,
under /accounts/) are covered by their own tests in tests/accounts/ and are recognised by their module.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Invitation, Membership, Role, User
from emotipal.accounts.services import invite
from emotipal.api import api
from emotipal.definitions.translations import texts_of
from emotipal.homework.models import Assignment, Barrier, FearLadder, TherapySession
from emotipal.library.models import TemplateVersion
from emotipal.library.services import clone_template
from emotipal.measures.models import (
    CrisisResource,
    Instrument,
    InstrumentTranslation,
    Response,
    RiskAlert,
    Schedule,
)
from emotipal.measures.services import ask_now, latest_version, save_answers
from emotipal.research.models import JobStatus, Participant, Study, StudyExport, StudyRole
from emotipal.support.models import Encouragement
from emotipal.support.services import send_encouragement
from emotipal.training.models import TrainingAttempt
from tests.factories import World, make_user
from tests.research.matrix_experiments import matrix_experiments
from tests.research.matrix_objects import research_url
from tests.research.study_factory import make_participant, make_study
from tests.research.team_factory import join, researcher_at
from tests.support.support_factory import matrix_coach
from tests.training.factory import full_answers, make_vignette, trainee_at

ACTORS = (
    "anon",
    "client_a",
    "client_b",
    "therapist",
    "colleague",
    "foreign",
    "admin",
    "researcher",  # the matrix study's investigator
    "researcher_b",  # a researcher of the same clinic, not on the study's team
    "statistician",  # a researcher of the same clinic, on the team as statistician
    "trainee",  # a trainee of the same clinic: practises on simulated vignettes, never sees a client
    "coach",  # client A's support person: no clinic role, sees only what client A shares (tests/support/)
)
MATRIX_STUDY = "matrix-study"
MATRIX_TRAINEE = "trainee@example.org"
EMPTY_SCORES = {p: {"done": 0, "applicable": 0} for p in ("review", "design", "plan")}
EXPORT_DIR = Path(tempfile.gettempdir()) / "emotipal-matrix-export"


def actor_user(world: World, actor: str) -> Any:
    if actor == "researcher_b":
        return researcher_at(world.clinic, "researcher.b@example.org", "Rob Researcher")
    if actor == "statistician":
        return researcher_at(world.clinic, "statistician@example.org", "Sam Statistician")
    if actor == "trainee":
        return trainee_at(world.clinic, MATRIX_TRAINEE)
    if actor == "coach":
        return matrix_coach(world.client_a)[0]
    return {
        "anon": None,
        "client_a": world.client_a.user,
        "client_b": world.client_b.user,
        "therapist": world.therapist,
        "colleague": world.colleague,
        "foreign": world.foreign_therapist,
        "admin": world.admin,
        "researcher": world.researcher,
    }[actor]


@dataclass
class Row:
    method: str
    path: Callable[[Any], str]
    expect: dict[str, int]
    data: dict[str, Any] | str | None = None  # a str names a body built from the objects (Objects.body)


def only(status_ok: int, allowed: tuple[str, ...], denied: int, anon: int = 302) -> dict[str, int]:
    return {a: (status_ok if a in allowed else (anon if a == "anon" else denied)) for a in ACTORS}


CLINICIANS_OF_A = ("therapist", "admin")  # client A's own therapist, and the clinic admin
CLINICIANS = ("therapist", "colleague", "foreign", "admin")
RESEARCHERS = ("researcher", "researcher_b", "statistician")
STUDY_TEAM = ("researcher", "statistician")
STUDY_MANAGERS = ("researcher",)  # investigators and researchers on the team; statisticians read only
STAFF = (*CLINICIANS, *RESEARCHERS)
EVERYONE = tuple(a for a in ACTORS if a != "anon")
CLIENTS = ("client_a", "client_b")
STAFF_AND_TRAINEE = (*STAFF, "trainee")  # pages without client data that any staff membership opens
PRACTISING = ("therapist", "colleague", "foreign", "trainee")  # may practise on training vignettes

# Page routes: name -> rows. `o` is a namespace with world, assignment and entry of client A.
PAGES: dict[str, list[Row]] = {
    "home": [Row("get", lambda o: "/", {a: 302 for a in ACTORS} | {"researcher": 302})],
    "healthz": [Row("get", lambda o: "/healthz", {a: 200 for a in ACTORS})],
    # Public like healthz: a load balancer asks it, logged in as no one; it names no data (tests/platform/test_readiness.py).
    "readyz": [Row("get", lambda o: "/readyz", {a: 200 for a in ACTORS})],
    # Public on purpose: the manifest, the service worker and the offline page hold no client data; browsers
    # fetch them without a session (installability check, worker updates), and the worker itself keeps only
    # pages the server marked as the signed-in client's own.
    "pwa_manifest": [Row("get", lambda o: "/manifest.webmanifest", {a: 200 for a in ACTORS})],
    "pwa_service_worker": [Row("get", lambda o: "/sw.js", {a: 200 for a in ACTORS})],
    "pwa_offline": [Row("get", lambda o: "/offline/", {a: 200 for a in ACTORS})],
    # Public on purpose: the AGPL offers the program's source to everyone who uses it; it holds no data.
    "source_code": [Row("get", lambda o: "/source.tar.gz", {a: 200 for a in ACTORS})],
    "invitation_accept": [Row("get", lambda o: "/invite/not-a-real-token/", {a: 410 for a in ACTORS})],
    "settings": [Row("get", lambda o: "/settings/", only(200, EVERYONE, 403))],
    "token_create": [Row("post", lambda o: "/settings/tokens/", only(200, EVERYONE, 403), {"name": "x"})],
    "token_revoke": [
        Row("post", lambda o: f"/settings/tokens/{o.token_id}/revoke/", only(302, EVERYONE, 403))
    ],
    "clinic_admin": [Row("get", lambda o: "/clinic/", only(200, ("admin",), 403))],
    "clinic_audit": [Row("get", lambda o: "/clinic/audit/", only(200, ("admin",), 403))],
    "clinic_audit_csv": [Row("get", lambda o: "/clinic/audit.csv", only(200, ("admin",), 403))],
    "seen_by": [Row("get", lambda o: "/settings/seen-by/", only(200, ("client_a", "client_b"), 403))],
    # Erasure, legal holds and retention: the clinic admin only (not the therapist: ending the clinic's record is
    # the clinic's decision). Erasing itself is a POST with a typed confirmation, tested in tests/privacy/.
    "data_rights": [Row("get", lambda o: "/clinic/data-rights/", only(200, ("admin",), 403))],
    "save_retention": [
        Row(
            "post",
            lambda o: "/clinic/data-rights/retention/",
            only(302, ("admin",), 403),
            {"draft_days": "90"},
        )
    ],
    "erase_client": [
        Row(
            "get",
            lambda o: f"/clinic/data-rights/clients/{o.world.client_b.pk}/erase/",
            only(200, ("admin",), 403),
        )
    ],
    "legal_hold": [
        Row(
            "post",
            lambda o: f"/clinic/data-rights/clients/{o.world.client_b.pk}/hold/",
            only(302, ("admin",), 403),
            {"action": "place", "reason": "Complaint 7 is open"},
        )
    ],
    # A client's copy of all their data (privacy app): their own only, no id in the path; staff, researchers
    # and support people are refused (tests/privacy/test_my_data_access.py checks what the files hold).
    "my_data": [Row("get", lambda o: "/settings/my-data/", only(200, CLIENTS, 403))],
    "my_data_html": [Row("get", lambda o: "/settings/my-data/summary.html", only(200, CLIENTS, 403))],
    "my_data_json": [Row("get", lambda o: "/settings/my-data/data.json", only(200, CLIENTS, 403))],
    "my_data_fhir": [Row("get", lambda o: "/settings/my-data/fhir.json", only(200, CLIENTS, 403))],
    # The clinic admin's staff, client and invitation actions (objects: Objects.clinic_admin).
    "clinic_membership_deactivate": [
        Row("post", lambda o: f"/clinic/staff/{o.spare_role.pk}/deactivate/", only(302, ("admin",), 403))
    ],
    "clinic_membership_reactivate": [
        Row("post", lambda o: f"/clinic/staff/{o.spare_role.pk}/reactivate/", only(302, ("admin",), 403))
    ],
    "clinic_role_remove": [
        Row("post", lambda o: f"/clinic/staff/{o.spare_role.pk}/remove/", only(302, ("admin",), 403))
    ],
    "clinic_role_add": [
        Row("post", lambda o: "/clinic/staff/add-role/", only(302, ("admin",), 403), "add_role")
    ],
    "clinic_client_reassign": [
        Row("post", lambda o: "/clinic/clients/reassign/", only(302, ("admin",), 403), "reassign")
    ],
    "clinic_invitation_resend": [
        Row("post", lambda o: f"/clinic/invitations/{o.invitation.pk}/resend/", only(200, ("admin",), 403))
    ],
    "clinic_invitation_revoke": [
        Row("post", lambda o: f"/clinic/invitations/{o.invitation.pk}/revoke/", only(302, ("admin",), 403))
    ],
    "today": [Row("get", lambda o: "/today/", only(200, ("client_a", "client_b"), 403))],
    "do_exercise": [
        Row(
            "get",
            lambda o: f"/homework/{o.assignment.pk}/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "save_draft": [
        Row(
            "post",
            lambda o: f"/homework/{o.assignment.pk}/draft/",
            only(200, ("client_a",), 403) | {"client_b": 404},
            {"a.situation": "typed"},
        )
    ],
    "my_entry": [
        Row("get", lambda o: f"/my/entries/{o.entry.pk}/", only(200, ("client_a",), 403) | {"client_b": 404})
    ],
    "caseload": [Row("get", lambda o: "/clients/", only(200, CLINICIANS, 403))],
    "client_detail": [
        Row(
            "get",
            lambda o: f"/clients/{o.world.client_a.pk}/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "assign": [
        Row(
            "get",
            lambda o: f"/clients/{o.world.client_a.pk}/assign/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "assign_exercise": [
        Row(
            "get",
            lambda o: (
                f"/clients/{o.world.client_a.pk}/assign/exercise/?template_version={o.world.thought_record.pk}"
            ),
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "homework_plan": [
        Row(
            "get",
            lambda o: f"/homework/{o.assignment.pk}/plan/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        ),
        Row(
            "post",
            lambda o: f"/homework/{o.assignment.pk}/plan/",
            only(302, ("client_a",), 403) | {"client_b": 404},
            {"action": "confirm"},
        ),
    ],
    "template_assign": [
        Row(
            "get",
            lambda o: f"/library/versions/{o.world.thought_record.pk}/assign/?client={o.world.client_a.pk}",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    # Support person (emotipal/support): the client's page, the coach's page and their actions.
    "support_page": [
        Row("get", lambda o: "/support/", only(200, CLIENTS, 403)),
        # client B has no link: the sharing choice is refused with a message, client A's is saved
        Row(
            "post", lambda o: "/support/", only(302, CLIENTS, 403), {"action": "sharing", "share_days": "on"}
        ),
    ],
    "support_end": [Row("post", lambda o: "/support/end/", only(302, CLIENTS, 403))],
    "support_dismiss": [
        Row(
            "post",
            lambda o: f"/support/messages/{o.encouragement.pk}/dismiss/",
            only(302, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    # The token is the permission: without a valid one nobody gets anything.
    "support_accept": [Row("get", lambda o: "/support/accept/not-a-real-token/", {a: 410 for a in ACTORS})],
    "coach_page": [Row("get", lambda o: "/support/coach/", only(200, ("coach",), 403))],
    "coach_encourage": [
        Row(
            "post",
            lambda o: f"/support/coach/{o.support_link.pk}/encourage/",
            only(302, ("coach",), 403),
            "encourage",
        )
    ],
    "reminder_settings": [Row("get", lambda o: "/settings/reminders/", only(200, CLIENTS, 403))],
    # A form body is not a PushSubscription (JSON): a client gets the clear 400, anyone else no further.
    "push_subscription": [
        Row("post", lambda o: "/settings/reminders/push/", only(400, CLIENTS, 403), {"endpoint": "x"})
    ],
    # The signature is the permission: a link that is not a reminder's signed link is 404 for everyone.
    "reminder_link": [Row("get", lambda o: "/r/not-a-signed-link/", {a: 404 for a in ACTORS})],
    "calendar_link_new": [Row("post", lambda o: "/settings/reminders/calendar/", only(200, CLIENTS, 403))],
    # No login (calendar apps cannot log in): without a valid token nobody gets anything.
    "calendar_feed": [Row("get", lambda o: "/calendar/not-a-real-token.ics", {a: 404 for a in ACTORS})],
    "homework_calendar": [
        Row(
            "get",
            lambda o: f"/homework/{o.assignment.pk}/plan.ics",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "entry_detail": [
        Row(
            "get",
            lambda o: f"/entries/{o.entry.pk}/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "entry_review": [
        Row(
            "post",
            lambda o: f"/entries/{o.entry.pk}/review/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {"note": "ok"},
        )
    ],
    "edit_entry": [
        Row(
            "get",
            lambda o: f"/my/entries/{o.entry.pk}/edit/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "self_review": [
        Row(
            "get",
            lambda o: f"/homework/{o.assignment.pk}/review/{o.session2.pk}/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "report_barrier": [
        Row(
            "get",
            lambda o: f"/homework/{o.assignment.pk}/not-done/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "barrier_strategy": [
        Row("get", lambda o: f"/obstacles/{o.barrier.pk}/", only(200, ("client_a",), 403) | {"client_b": 404})
    ],
    "looking_back": [
        Row("get", lambda o: "/looking-back/", only(200, ("client_a",), 403) | {"client_b": 404})
    ],
    "caseload_barriers": [Row("get", lambda o: "/clients/obstacles/", only(200, CLINICIANS, 403))],
    "record_session": [
        Row(
            "post",
            lambda o: f"/clients/{o.world.client_a.pk}/sessions/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {"date": "2026-02-02"},
        )
    ],
    "session_review": [
        Row(
            "get",
            lambda o: f"/clients/{o.world.client_a.pk}/sessions/{o.session2.pk}/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "end_treatment": [
        Row(
            "post",
            lambda o: f"/clients/{o.world.client_a.pk}/end/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {"confirm_step": "1", "confirm": "yes"},
        ),
        # the confirmation step: what will stop, before anything does
        Row(
            "get",
            lambda o: f"/clients/{o.world.client_a.pk}/end/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        ),
    ],
    "retro_rating": [
        Row(
            "post",
            lambda o: f"/clients/{o.world.client_a.pk}/look-back/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {"r.quantity": "3", "r.quality": "2"},
        )
    ],
    "export_compliance": [Row("get", lambda o: "/clinic/export/compliance.csv", only(200, ("admin",), 403))],
    "questionnaire": [
        Row(
            "get",
            lambda o: f"/questionnaires/{o.open_response.pk}/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "questionnaire_done": [
        Row(
            "get",
            lambda o: f"/questionnaires/{o.done_response.pk}/done/",
            only(200, ("client_a",), 403) | {"client_b": 404},
        )
    ],
    "support": [Row("get", lambda o: "/help/", {a: 200 for a in ACTORS})],
    "client_measures": [
        Row(
            "get",
            lambda o: f"/clients/{o.world.client_a.pk}/measures/",
            only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "add_schedule": [
        Row(
            "post",
            lambda o: f"/clients/{o.world.client_a.pk}/measures/schedule/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            "schedule",
        )
    ],
    "stop_schedule": [
        Row(
            "post",
            lambda o: f"/clients/{o.world.client_a.pk}/measures/schedule/{o.schedule.pk}/stop/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        )
    ],
    "alerts": [Row("get", lambda o: "/alerts/", only(200, CLINICIANS, 403))],
    "alert_acknowledge": [
        Row(
            "post",
            lambda o: f"/alerts/{o.alert.pk}/acknowledge/",
            only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {"note": "Called the client; safety plan reviewed."},
        )
    ],
    "clinic_instruments": [Row("get", lambda o: "/clinic/questionnaires/", only(200, ("admin",), 403))],
    "export_redcap": [
        Row("get", lambda o: f"/clinic/questionnaires/{o.phq9.pk}/redcap.csv", only(200, ("admin",), 403))
    ],
    "clinic_instrument_languages": [
        Row("get", lambda o: f"/clinic/questionnaires/{o.phq9.pk}/languages/", only(200, ("admin",), 403)),
        # A check without a file: refused with a message (400), and only an admin of the clinic gets that far.
        Row(
            "post",
            lambda o: f"/clinic/questionnaires/{o.phq9.pk}/languages/",
            only(400, ("admin",), 403),
            {"action": "preview", "language": "es", "file_format": "redcap", "source": "x"},
        ),
    ],
    "clinic_translation_remove": [
        Row(
            "post",
            lambda o: f"/clinic/questionnaires/languages/{o.translation.pk}/remove/",
            only(302, ("admin",), 403),
        )
    ],
    "clinic_safety": [Row("get", lambda o: "/clinic/safety/", only(200, ("admin",), 403))],
    "delete_crisis_resource": [
        Row("post", lambda o: f"/clinic/safety/resources/{o.crisis.pk}/delete/", only(302, ("admin",), 403))
    ],
    "ladders": [
        Row("get", lambda o: "/ladders/", only(200, ("client_a", "client_b"), 403)),
        Row(
            "get",
            lambda o: f"/ladders/?client={o.world.client_a.pk}",
            only(200, ("client_a", "client_b", *CLINICIANS_OF_A), 403) | {"colleague": 404, "foreign": 404},
        ),
    ],
    "ladder": [
        Row(
            "get",
            lambda o: f"/ladders/{o.ladder.pk}/",
            only(200, ("client_a", *CLINICIANS_OF_A), 404, anon=302),
        )
    ],
    "set_reward": [
        Row(
            "post",
            lambda o: f"/homework/{o.assignment.pk}/reward/",
            only(302, ("client_a",), 403) | {"client_b": 404},
            {"reward": "A film night"},
        )
    ],
    "template_clone": [
        Row(
            "post",
            lambda o: f"/library/versions/{o.world.thought_record.pk}/copy/",
            only(302, CLINICIANS, 403),
        )
    ],
    "template_edit": [
        Row(
            "get",
            lambda o: f"/library/mine/{o.clinic_template.template_id}/",
            only(200, ("therapist", "colleague", "admin"), 403) | {"foreign": 404},
        )
    ],
    # A trainee holds a staff membership: the exercise library (no client's data) is open to them too.
    "library": [Row("get", lambda o: "/library/", only(200, STAFF_AND_TRAINEE, 403))],
    # research: a study not on the user's team is "not found", for everyone
    "research_studies": [Row("get", lambda o: "/research/", only(200, RESEARCHERS, 403))],
    "research_study_create": [Row("get", lambda o: "/research/new/", only(200, RESEARCHERS, 403))],
    "research_study": [
        Row("get", lambda o: f"/research/studies/{o.study.slug}/", only(200, STUDY_TEAM, 404))
    ],
    "research_protocol": [
        Row("get", lambda o: f"/research/studies/{o.study.slug}/protocol/", only(200, STUDY_MANAGERS, 404))
    ],
    "research_status": [
        Row(
            "post",
            lambda o: f"/research/studies/{o.study.slug}/status/",
            only(302, STUDY_MANAGERS, 404),
            {"status": "closed"},
        )
    ],
    "research_team_add": [
        Row(
            "post",
            lambda o: f"/research/studies/{o.study.slug}/team/",
            only(302, STUDY_MANAGERS, 404),
            {"email": "researcher.b@example.org", "role": "researcher"},
        )
    ],
    "research_site_propose": [
        Row(
            "post",
            lambda o: f"/research/studies/{o.study.slug}/sites/",
            only(302, STUDY_MANAGERS, 404),
            {"clinic": "elsewhere"},
        )
    ],
    "research_consent": [
        Row("get", lambda o: f"/research/studies/{o.study.slug}/consent/", only(200, STUDY_TEAM, 404))
    ],
    "research_consent_publish": [
        Row(
            "post",
            lambda o: f"/research/studies/{o.study.slug}/consent/publish/",
            only(302, STUDY_MANAGERS, 404),
        )
    ],
    "research_participants": [
        Row("get", lambda o: f"/research/studies/{o.study.slug}/participants/", only(200, STUDY_TEAM, 404))
    ],
    "research_sites": [Row("get", lambda o: "/research/sites/", only(200, ("admin",), 403))],
    "research_site_decide": [
        Row(
            "post",
            lambda o: f"/research/sites/{o.site.pk}/decide/",
            only(302, ("admin",), 403),
            {"decision": "approved"},
        )
    ],
    "template_detail": [Row("get", lambda o: "/library/thought-record/", only(200, STAFF_AND_TRAINEE, 403))],
    # research: a client's own participations (none in this world: 404; tests/research/test_consent.py checks
    # a client reaching another's), and the staff invite page
    "my_studies": [Row("get", lambda o: "/research/my/", only(200, CLIENTS, 403))],
    "consent_study": [Row("get", lambda o: "/research/my/0/", only(404, CLIENTS, 403))],
    "consent_sign": [Row("post", lambda o: "/research/my/0/sign/", only(404, CLIENTS, 403))],
    "consent_decline": [Row("post", lambda o: "/research/my/0/decline/", only(404, CLIENTS, 403))],
    "consent_withdraw": [Row("post", lambda o: "/research/my/0/withdraw/", only(404, CLIENTS, 403))],
    "consent_copy": [Row("get", lambda o: "/research/my/0/signed/0/", only(404, CLIENTS, 403))],
    # (a trainee has no clients, so the page lists none for them)
    "research_invite": [Row("get", lambda o: "/research/invite/", only(200, STAFF_AND_TRAINEE, 403))],
    # Research exports: the matrix study's team (its researcher) sees them, anyone else gets 404; the download
    # of a written export by the team is tested in tests/research/test_export_task.py.
    "research_exports": [Row("get", lambda o: research_url(o.world, "exports"), only(200, STUDY_TEAM, 404))],
    "research_export_request": [
        Row("post", lambda o: research_url(o.world, "export_request"), only(302, STUDY_TEAM, 404))
    ],
    "research_export_status": [
        Row("get", lambda o: research_url(o.world, "export_status"), only(200, STUDY_TEAM, 404))
    ],
    "research_export_download": [
        Row("get", lambda o: "/research/studies/no-such-study/exports/1/download/", only(200, (), 404))
    ],
    # research: only the study's team (here the researcher) sees the study; for anyone else it does not exist
    "research_analyses": [
        Row("get", lambda o: research_url(o.world, "analyses"), only(200, STUDY_TEAM, 404))
    ],
    "research_analysis_start": [
        Row(
            "post",
            lambda o: research_url(o.world, "start"),
            only(302, STUDY_TEAM, 404),
        )
    ],
    "research_analysis": [
        Row(
            "get",
            lambda o: research_url(o.world, "analysis"),
            only(200, STUDY_TEAM, 404),
        )
    ],
    "research_analysis_report": [
        Row(
            "get",
            lambda o: research_url(o.world, "report"),
            only(200, STUDY_TEAM, 404),
        )
    ],
    # Experiments: the team sees them, investigators and researchers manage them. The allocation log (and a
    # generated REDCap table) is the statistician's at any time and the investigator's once the experiment
    # has stopped (research/access.py); other team members get 403. Reads come before the writes below.
    "research_experiments": [
        Row("get", lambda o: f"/research/studies/{o.study.slug}/experiments/", only(200, STUDY_TEAM, 404))
    ],
    "research_experiment_create": [
        Row(
            "get",
            lambda o: f"/research/studies/{o.study.slug}/experiments/new/",
            only(200, STUDY_MANAGERS, 404),
        )
    ],
    "research_experiment": [
        Row("get", lambda o: experiment_url(o, "running", ""), only(200, STUDY_TEAM, 404))
    ],
    "research_experiment_edit": [
        Row("get", lambda o: experiment_url(o, "draft", "edit/"), only(200, STUDY_MANAGERS, 404))
    ],
    "research_allocation_log": [
        Row(
            "get",
            lambda o: experiment_url(o, "running", "allocation-log.json"),
            only(200, ("statistician",), 404) | {"researcher": 403},
        ),
        Row("get", lambda o: experiment_url(o, "stopped", "allocation-log.json"), only(200, STUDY_TEAM, 404)),
    ],
    "research_allocation_replay": [
        Row("get", lambda o: experiment_url(o, "running", "replay/"), only(200, STUDY_TEAM, 404))
    ],
    "research_redcap_table": [
        Row(
            "get",
            lambda o: experiment_url(o, "running", "redcap-table.csv?per_stratum=4"),
            only(200, ("statistician",), 404) | {"researcher": 403},
        )
    ],
    "research_experiment_allocate": [
        Row("post", lambda o: experiment_url(o, "running", "allocate/"), only(302, STUDY_MANAGERS, 404))
    ],
    "research_experiment_start": [
        Row("post", lambda o: experiment_url(o, "draft", "start/"), only(302, STUDY_MANAGERS, 404))
    ],
    "research_experiment_stop": [
        Row("post", lambda o: experiment_url(o, "running", "stop/"), only(302, STUDY_MANAGERS, 404))
    ],
    "research_experiment_power": [
        Row("get", lambda o: experiment_url(o, "draft", "power/"), only(302, STUDY_TEAM, 404)),
        Row("post", lambda o: experiment_url(o, "draft", "power/"), only(302, STUDY_MANAGERS, 404)),
    ],
    # supervision: a supervisor's pages (no supervisor among these actors: see tests/supervision/ for them)
    "supervision_home": [Row("get", lambda o: "/supervision/", only(200, (), 403))],
    "supervision_clinic": [Row("get", lambda o: "/supervision/clinic/", only(200, ("admin",), 403))],
    "supervision_supervisee": [
        Row("get", lambda o: f"/supervision/therapists/{o.world.therapist.pk}/", only(200, (), 403))
    ],
    "supervision_rate": [
        Row("get", lambda o: f"/supervision/therapists/{o.world.therapist.pk}/rate/", only(200, (), 403))
    ],
    "supervision_links": [Row("get", lambda o: "/clinic/supervision/", only(200, ("admin",), 403))],
    "supervision_end_link": [
        Row("post", lambda o: "/clinic/supervision/999999/end/", only(302, ("admin",), 403))
    ],
    "research_experiment_new_version": [
        Row("post", lambda o: experiment_url(o, "stopped", "new-version/"), only(302, STUDY_MANAGERS, 404))
    ],
    # training: simulated vignettes; the attempt and progress are the trainee's, and their clinic admin's to see
    "training_list": [Row("get", lambda o: "/training/", only(200, (*PRACTISING, "admin"), 403))],
    "training_vignette": [
        Row("get", lambda o: f"/training/vignettes/{o.vignette.pk}/", only(200, PRACTISING, 403))
    ],
    "training_attempt": [
        Row("get", lambda o: f"/training/vignettes/{o.vignette.pk}/attempt/", only(200, PRACTISING, 403)),
        Row(
            "post",
            lambda o: f"/training/vignettes/{o.vignette.pk}/attempt/",
            only(302, PRACTISING, 403),
            full_answers(),
        ),
    ],
    "training_feedback": [
        Row(
            "get",
            lambda o: f"/training/attempts/{o.attempt.pk}/",
            only(200, ("trainee", "admin"), 403) | {a: 404 for a in ("therapist", "colleague", "foreign")},
        )
    ],
    "training_progress": [Row("get", lambda o: "/training/progress/", only(200, PRACTISING, 403))],
    "training_trainee_progress": [
        Row(
            "get",
            lambda o: f"/training/progress/{o.attempt.trainee_id}/",
            only(200, ("trainee", "admin"), 403) | {a: 404 for a in ("therapist", "colleague", "foreign")},
        )
    ],
}


# Changing one homework (issue 12, workflow): the edit page, pause, resume (of a paused homework) and stop.
PAGES.update(
    {
        "assignment_edit": [
            Row(
                "get",
                lambda o: f"/assignments/{o.assignment.pk}/edit/",
                only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            )
        ],
        "assignment_pause": [
            Row(
                "post",
                lambda o: f"/assignments/{o.assignment.pk}/pause/",
                only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            )
        ],
        "assignment_resume": [
            Row(
                "post",
                lambda o: f"/assignments/{paused(o.assignment).pk}/resume/",
                only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            )
        ],
        "assignment_stop": [
            Row(
                "post",
                lambda o: f"/assignments/{o.assignment.pk}/stop/",
                only(302, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            )
        ],
    }
)


def paused(assignment: Any) -> Any:
    """The assignment, paused (if it is still open), so that resuming it can succeed."""
    Assignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).update(paused_at=timezone.now())
    return assignment


def experiment_url(o: Any, which: str, rest: str) -> str:
    experiment = getattr(o.experiments, which)
    return f"/research/studies/{o.study.slug}/experiments/{experiment.pk}/{rest}"


API = "/api/v1"
API_ANON = 401


def api_only(ok: int, allowed: tuple[str, ...], denied: int) -> dict[str, int]:
    return only(ok, allowed, denied, anon=API_ANON)


def assignment_body(o: Any) -> dict[str, Any]:
    return {
        "template": "thought-record",
        "rationale": "Practise catching thoughts.",
        "times_per_week": 3,
        "minutes_per_practice": 15,
        "start_date": "2026-01-05",
        "end_date": "2026-01-20",
    }


# API operations: (method, path template) -> row. Paths as ninja declares them.
API_ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/me"): Row("get", lambda o: f"{API}/me", api_only(200, EVERYONE, 403)),
    ("GET", "/tokens"): Row("get", lambda o: f"{API}/tokens", api_only(200, EVERYONE, 403)),
    ("POST", "/tokens"): Row(
        "post", lambda o: f"{API}/tokens", api_only(201, EVERYONE, 403), {"name": "cli"}
    ),
    ("DELETE", "/tokens/{token_id}"): Row(
        "delete", lambda o: f"{API}/tokens/{o.token_id}", api_only(204, EVERYONE, 403)
    ),
    ("GET", "/me/assignments"): Row(
        "get", lambda o: f"{API}/me/assignments", api_only(200, ("client_a", "client_b"), 404)
    ),
    ("GET", "/me/entries"): Row(
        "get", lambda o: f"{API}/me/entries", api_only(200, ("client_a", "client_b"), 404)
    ),
    ("POST", "/assignments/{assignment_id}/rationale"): Row(
        "post",
        lambda o: f"{API}/assignments/{o.assignment.pk}/rationale",
        api_only(200, ("client_a",), 404),
        {"wording": "So Sunday evenings feel less heavy."},
    ),
    ("GET", "/assignments/{assignment_id}/schema"): Row(
        "get", lambda o: f"{API}/assignments/{o.assignment.pk}/schema", api_only(200, ("client_a",), 404)
    ),
    ("GET", "/assignments/{assignment_id}/draft"): Row(
        "get", lambda o: f"{API}/assignments/{o.assignment.pk}/draft", api_only(200, ("client_a",), 404)
    ),
    ("PUT", "/assignments/{assignment_id}/draft"): Row(
        "put",
        lambda o: f"{API}/assignments/{o.assignment.pk}/draft",
        api_only(200, ("client_a",), 404),
        {"answers": {"situation": "typed"}},
    ),
    ("POST", "/assignments/{assignment_id}/entries"): Row(
        "post",
        lambda o: f"{API}/assignments/{o.assignment.pk}/entries",
        api_only(422, ("client_a",), 404),
        {"answers": {}},
    ),
    ("GET", "/templates"): Row("get", lambda o: f"{API}/templates", api_only(200, STAFF_AND_TRAINEE, 403)),
    ("GET", "/clients"): Row("get", lambda o: f"{API}/clients", api_only(200, CLINICIANS, 403)),
    ("POST", "/clients/{client_id}/assignments"): Row(
        "post",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/assignments",
        api_only(201, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        None,
    ),
    ("GET", "/clients/{client_id}/entries"): Row(
        "get",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/entries",
        api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
    ),
    ("POST", "/entries/{entry_id}/review"): Row(
        "post",
        lambda o: f"{API}/entries/{o.entry.pk}/review",
        api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        {"note": "seen"},
    ),
    ("GET", "/engagement-items"): Row(
        "get", lambda o: f"{API}/engagement-items", api_only(200, EVERYONE, 403)
    ),
    ("GET", "/clients/{client_id}/sessions"): Row(
        "get",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/sessions",
        api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
    ),
    ("POST", "/clients/{client_id}/sessions"): Row(
        "post",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/sessions",
        api_only(201, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        {"date": "2026-02-02"},
    ),
    ("POST", "/assignments/{assignment_id}/self-reviews"): Row(
        "post",
        lambda o: f"{API}/assignments/{o.assignment.pk}/self-reviews",
        api_only(201, ("client_a",), 404),
        "self_review",
    ),
    ("POST", "/assignments/{assignment_id}/therapist-reviews"): Row(
        "post",
        lambda o: f"{API}/assignments/{o.assignment.pk}/therapist-reviews",
        api_only(201, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        "therapist_review",
    ),
    ("POST", "/assignments/{assignment_id}/barriers"): Row(
        "post",
        lambda o: f"{API}/assignments/{o.assignment.pk}/barriers",
        api_only(201, ("client_a",), 404),
        "barrier",
    ),
    ("PUT", "/barriers/{barrier_id}/strategy"): Row(
        "put",
        lambda o: f"{API}/barriers/{o.barrier.pk}/strategy",
        api_only(200, ("client_a",), 404),
        {"strategy": "smaller_step"},
    ),
    ("GET", "/clients/{client_id}/barriers"): Row(
        "get",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/barriers",
        api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
    ),
    ("POST", "/clients/{client_id}/retroactive"): Row(
        "post",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/retroactive",
        api_only(201, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
        {"quantity": 3, "quality": 2},
    ),
    ("POST", "/me/retroactive"): Row(
        "post",
        lambda o: f"{API}/me/retroactive",
        api_only(201, ("client_a",), 404) | {"client_b": 422},
        {"quantity": 3, "quality": 2},
    ),
    ("GET", "/clients/{client_id}/compliance"): Row(
        "get",
        lambda o: f"{API}/clients/{o.world.client_a.pk}/compliance",
        api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
    ),
    ("GET", "/me/compliance"): Row(
        "get", lambda o: f"{API}/me/compliance", api_only(200, ("client_a", "client_b"), 404)
    ),
    ("GET", "/research/studies"): Row(
        "get", lambda o: f"{API}/research/studies", api_only(200, RESEARCHERS, 403)
    ),
    ("GET", "/research/studies/{slug}/participants"): Row(
        "get", lambda o: f"{API}/research/studies/{o.study.slug}/participants", api_only(200, STUDY_TEAM, 404)
    ),
    ("GET", "/research/studies/{slug}/exports"): Row(
        "get", lambda o: f"{API}/research/studies/{o.study.slug}/exports", api_only(200, STUDY_TEAM, 404)
    ),
    ("GET", "/research/studies/{slug}/exports/{export_id}/download"): Row(
        "get",
        lambda o: f"{API}/research/studies/{o.study.slug}/exports/{o.export.pk}/download",
        api_only(200, STUDY_TEAM, 404),
    ),
    ("GET", "/research/studies/{slug}/experiments"): Row(
        "get", lambda o: f"{API}/research/studies/{o.study.slug}/experiments", api_only(200, STUDY_TEAM, 404)
    ),
    ("GET", "/research/studies/{slug}/experiments/{experiment_id}"): Row(
        "get",
        lambda o: f"{API}/research/studies/{o.study.slug}/experiments/{o.experiments.running.pk}",
        api_only(200, STUDY_TEAM, 404),
    ),
    # the stopped experiment: the investigator too (while running only the statistician, 403 for the
    # investigator: tests/research/test_experiment_api.py)
    ("GET", "/research/studies/{slug}/experiments/{experiment_id}/allocation-log"): Row(
        "get",
        lambda o: (
            f"{API}/research/studies/{o.study.slug}/experiments/{o.experiments.stopped.pk}/allocation-log"
        ),
        api_only(200, STUDY_TEAM, 404),
    ),
}
API_ROWS.update(
    {
        ("PATCH", "/assignments/{assignment_id}/plan"): Row(
            "patch",
            lambda o: f"{API}/assignments/{o.assignment.pk}/plan",
            api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {
                "rationale": "To notice the thoughts behind the low mood.",
                "times_per_week": 3,
                "minutes_per_practice": 15,
                "end_date": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            },
        ),
        ("POST", "/assignments/{assignment_id}/pause"): Row(
            "post",
            lambda o: f"{API}/assignments/{o.assignment.pk}/pause",
            api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {},
        ),
        ("POST", "/assignments/{assignment_id}/resume"): Row(
            "post",
            lambda o: f"{API}/assignments/{paused(o.assignment).pk}/resume",
            api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {},
        ),
        ("POST", "/assignments/{assignment_id}/stop"): Row(
            "post",
            lambda o: f"{API}/assignments/{o.assignment.pk}/stop",
            api_only(200, CLINICIANS_OF_A, 403) | {"colleague": 404, "foreign": 404},
            {},
        ),
    }
)
# Ninja's own schema and docs pages describe the API, not anyone's data.
API_PUBLIC = {"openapi-json", "openapi-view"}


def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            found += _walk(item, prefix + str(item.pattern))
        else:
            found.append((prefix + str(item.pattern), item))
    return found


def project_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, p)
        for route, p in _walk(get_resolver())
        if not p.lookup_str.startswith("allauth.") and not route.startswith("api/v1/")
    ]


def test_every_route_has_a_row() -> None:
    names = {p.name for _route, p in project_routes()}
    assert names == set(PAGES), (
        f"routes without a matrix row: {names - set(PAGES)}; stale rows: {set(PAGES) - names}"
    )
    schema = api.get_openapi_schema(path_prefix="")
    operations = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert operations == set(API_ROWS), (
        f"API operations without a row: {operations - set(API_ROWS)}; stale: {set(API_ROWS) - operations}"
    )
    api_names = {p.name for route, p in _walk(get_resolver()) if route.startswith("api/v1/")}
    assert api_names >= API_PUBLIC


class Objects:
    """Client A's homework, set in session 1 and due for review in session 2 (today), with an obstacle."""

    def __init__(self, world: World, assignment: Any, entry: Any, token_id: int) -> None:
        self.world, self.assignment, self.entry, self.token_id = world, assignment, entry, token_id
        self.session1 = TherapySession.objects.get_or_create(
            client=world.client_a,
            number=1,
            defaults={"therapist": world.therapist, "date": assignment.start_date},
        )[0]
        self.session2 = TherapySession.objects.get_or_create(
            client=world.client_a,
            number=2,
            defaults={"therapist": world.therapist, "date": timezone.localdate()},
        )[0]
        Assignment.objects.filter(pk=assignment.pk).update(session=self.session1)
        self.barrier = Barrier.objects.get_or_create(
            client=world.client_a,
            assignment=assignment,
            day=assignment.start_date,
            defaults={"barrier": "forgot"},
        )[0]
        ClientProfile.objects.filter(pk=world.client_a.pk).update(discharged_on=timezone.localdate())
        self.measures(world)
        self.research(world)
        self.clinic_admin(world)
        self.ladder = FearLadder.objects.get_or_create(
            client=world.client_a, defaults={"title": "Lifts", "created_by": world.therapist}
        )[0]
        self.training(world)
        self.support(world)
        self.clinic_template = TemplateVersion.objects.filter(
            template__clinic=world.clinic
        ).first() or clone_template(world.therapist, world.thought_record, world.clinic)

    def training(self, world: World) -> None:
        """A vignette, and one attempt on it by the matrix's trainee."""
        self.vignette = make_vignette()
        trainee = trainee_at(world.clinic, MATRIX_TRAINEE)
        self.attempt = TrainingAttempt.objects.filter(
            trainee=trainee
        ).first() or TrainingAttempt.objects.create(
            trainee=trainee, vignette=self.vignette, answers={}, scores=EMPTY_SCORES
        )

    def support(self, world: World) -> None:
        """Client A's support person (the matrix's coach), with one message waiting on client A's Today."""
        coach, self.support_link = matrix_coach(world.client_a)
        self.encouragement = Encouragement.objects.filter(
            link=self.support_link, dismissed_at__isnull=True
        ).first() or send_encouragement(coach, self.support_link.pk, "Well done this week")

    def measures(self, world: World) -> None:
        phq9 = self.phq9 = Instrument.objects.get(key="phq9", clinic=None)
        self.crisis = CrisisResource.objects.get_or_create(
            clinic=world.clinic, language="en", defaults={"title": "Crisis line", "body": "Call 0800 000 000"}
        )[0]
        self.open_response = Response.objects.filter(client=world.client_a, status="due").first() or ask_now(
            world.therapist, world.client_a, phq9
        )
        self.done_response = Response.objects.filter(client=world.client_a, status="completed").first()
        if self.done_response is None:
            self.done_response = ask_now(world.therapist, world.client_a, phq9)
            answers = {f"phq9_{i}": 1 for i in range(1, 10)}
            save_answers(world.client_a.user, self.done_response.pk, answers, submit=True)
            self.done_response.refresh_from_db()
        self.alert = RiskAlert.objects.get(response=self.done_response)
        self.schedule = Schedule.objects.filter(client=world.client_a).first() or Schedule.objects.create(
            client=world.client_a, instrument=phq9, kind="weekly", created_by=world.therapist
        )
        version = latest_version(phq9)
        self.translation = InstrumentTranslation.objects.get_or_create(
            version=version,
            clinic=world.clinic,
            language="es",
            defaults={"texts": texts_of(version.definition), "source": "matrix", "file_format": "redcap"},
        )[0]

    def clinic_admin(self, world: World) -> None:
        """A trainee of the clinic (no actor of the matrix) whose role the admin changes, and an open
        invitation the admin resends and revokes."""
        spare = User.objects.filter(email="spare.trainee@example.org").first() or make_user(
            "spare.trainee@example.org", "Sasha Spare"
        )
        self.spare = spare
        self.spare_role = Membership.objects.get_or_create(
            user=spare, clinic=world.clinic, role=Role.TRAINEE
        )[0]
        self.invitation = Invitation.objects.filter(email="matrix.invitee@example.org").first() or (
            invite(
                clinic=world.clinic,
                email="matrix.invitee@example.org",
                role=Role.THERAPIST,
                invited_by=world.admin,
            ).invitation
        )

    def research(self, world: World) -> None:
        """A recruiting study led by the World's researcher, with a statistician, client A as a participant
        and a finished export."""
        self.study = Study.objects.filter(slug=MATRIX_STUDY).first() or make_study(world, MATRIX_STUDY)
        join(self.study, actor_user(world, "statistician"), StudyRole.STATISTICIAN)
        self.site = self.study.sites.get(clinic=world.clinic)
        self.participant = Participant.objects.filter(study=self.study).first() or make_participant(
            world, self.study, world.client_a
        )
        (EXPORT_DIR / "data").mkdir(parents=True, exist_ok=True)
        (EXPORT_DIR / "data" / "participants.csv").write_text("participant_id,state\n")
        self.export = StudyExport.objects.get_or_create(
            study=self.study,
            defaults={"requested_by": world.researcher, "status": JobStatus.DONE, "folder": str(EXPORT_DIR)},
        )[0]
        self.experiments = matrix_experiments(self.study, self.participant)

    def body(self, name: str) -> dict[str, Any]:
        ratings = {"quantity": 3, "quality": 2}
        return {
            "self_review": {"session_id": self.session2.pk, "ratings": ratings},
            "therapist_review": {"session_id": self.session2.pk, "ratings": {**ratings, "mastery": 1}},
            "barrier": {"day": timezone.localdate().isoformat(), "barrier": "no_time"},
            "schedule": {"instrument": str(self.phq9.pk), "kind": "weekly"},  # ids differ per database
            "add_role": {"person": str(self.spare.pk), "role": Role.RESEARCHER},
            "reassign": {"client": str(self.world.client_b.pk), "therapist": str(self.world.colleague.pk)},
            "encourage": {f"m{self.support_link.pk}-text": "Keep it up"},
        }[name]


def _request(http: Any, row: Row, path: str, data: dict[str, Any] | None, api_call: bool) -> Any:
    if api_call:
        return getattr(http, row.method)(path, data=data or {}, content_type="application/json")
    return getattr(http, row.method)(path, data=data or {})


@pytest.mark.parametrize("actor", ACTORS)
def test_pages(world: World, entry_a: Any, actor: str) -> None:
    from emotipal.accounts.services import create_api_token

    user = actor_user(world, actor)
    failures = []
    for name, rows in PAGES.items():
        for row in rows:
            token_id = create_api_token(user, "t").token.pk if user is not None else 0
            o = Objects(world, entry_a.assignment, entry_a, token_id)
            data = o.body(row.data) if isinstance(row.data, str) else row.data
            response = _request(world.login(user), row, row.path(o), data, api_call=False)
            if response.status_code != row.expect[actor]:
                failures.append(
                    f"{name} {row.method.upper()} {row.path(o)}: {response.status_code} != {row.expect[actor]}"
                )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("actor", ACTORS)
def test_api(world: World, entry_a: Any, actor: str) -> None:
    from emotipal.accounts.services import create_api_token

    user = actor_user(world, actor)
    failures = []
    for (method, declared), row in API_ROWS.items():
        new = create_api_token(user, "matrix") if user is not None else None
        o = Objects(world, entry_a.assignment, entry_a, new.token.pk if new else 0)
        http = world.login(None)
        if new is not None:
            http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {new.secret}"
        data = (
            assignment_body(o)
            if row.data is None and method == "POST"
            else o.body(row.data)
            if isinstance(row.data, str)
            else row.data
        )
        response = _request(http, row, row.path(o), data, api_call=True)
        if response.status_code != row.expect[actor]:
            failures.append(
                f"{method} {declared}: {response.status_code} != {row.expect[actor]} {response.content[:200]!r}"
            )
    assert not failures, "\n".join(failures)


def test_openapi_schema_is_public_and_lists_operations(client: Any, db: Any) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/assignments/{assignment_id}/entries" in paths
