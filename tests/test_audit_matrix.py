"""Every staff read of a client's data leaves an audit row for that client (who looked, at what, when).

Walks the rows of the permission matrix: each page and API operation that client A's therapist may call
successfully is either listed in READS_CLIENT_DATA (and must then write an audit row whose subject is client A,
with the therapist as actor) or in NO_CLIENT_DATA. A new route or operation in neither set fails
`test_every_route_is_classified`, so nobody can add a read that escapes the audit trail by accident. Writes
are audited by their actions (`test_writes_name_their_client`).
"""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.accounts.services import create_api_token
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World
from tests.test_permission_matrix import API_ROWS, PAGES, Objects, Row, _request, assignment_body

# Page routes (name, row index) and API operations (method, path) whose answer shows a client's data to staff.
READS_CLIENT_DATA: set[Any] = {
    ("caseload", 0),
    ("client_detail", 0),
    ("assign", 0),
    ("template_detail", 0),  # lists the caseload for "Assign to a client"
    ("entry_detail", 0),
    ("caseload_barriers", 0),
    ("session_review", 0),
    ("end_treatment", 1),
    ("assignment_edit", 0),
    ("client_measures", 0),
    ("alerts", 0),
    ("ladders", 1),
    ("ladder", 0),
    ("GET", "/clients"),
    ("GET", "/clients/{client_id}/entries"),
    ("GET", "/clients/{client_id}/sessions"),
    ("GET", "/clients/{client_id}/barriers"),
    ("GET", "/clients/{client_id}/compliance"),
}
# What the therapist may open that holds no client's data (their own account, the library, the API's lists of
# questions), and staff writes, which their actions audit.
NO_CLIENT_DATA: set[Any] = {
    ("home", 0),
    ("healthz", 0),
    ("readyz", 0),
    ("pwa_manifest", 0),
    ("pwa_service_worker", 0),
    ("pwa_offline", 0),
    ("source_code", 0),
    ("settings", 0),
    ("token_create", 0),
    ("token_revoke", 0),
    ("support", 0),
    ("library", 0),
    ("template_clone", 0),
    ("template_edit", 0),
    ("assign_exercise", 0),
    (
        "template_assign",
        0,
    ),  # a redirect to the assign page, which audits its read  # the chosen exercise's preview and variants: library content only
    # Lists the therapist's own clients only for a study recruiting at their clinic (none in this world); that
    # read is audited, checked in tests/research/test_enrollment.py.
    ("research_invite", 0),
    # Training: simulated vignettes only; a therapist's own attempts and progress (the attempt is audited as
    # training.attempt, checked in tests/training/test_attempts.py).
    ("training_list", 0),
    ("training_vignette", 0),
    ("training_attempt", 0),
    ("training_attempt", 1),
    ("training_progress", 0),
    ("GET", "/me"),
    ("GET", "/tokens"),
    ("POST", "/tokens"),
    ("DELETE", "/tokens/{token_id}"),
    ("GET", "/templates"),
    ("GET", "/engagement-items"),
}
STAFF_WRITES: set[Any] = {
    ("entry_review", 0),
    ("record_session", 0),
    ("end_treatment", 0),
    ("assignment_pause", 0),
    ("assignment_resume", 0),
    ("assignment_stop", 0),
    ("PATCH", "/assignments/{assignment_id}/plan"),
    ("POST", "/assignments/{assignment_id}/pause"),
    ("POST", "/assignments/{assignment_id}/resume"),
    ("POST", "/assignments/{assignment_id}/stop"),
    ("retro_rating", 0),
    ("add_schedule", 0),
    ("stop_schedule", 0),
    ("alert_acknowledge", 0),
    ("POST", "/clients/{client_id}/assignments"),
    ("POST", "/entries/{entry_id}/review"),
    ("POST", "/clients/{client_id}/sessions"),
    ("POST", "/assignments/{assignment_id}/therapist-reviews"),
    ("POST", "/clients/{client_id}/retroactive"),
}


def therapist_successes() -> dict[Any, Row]:
    """Every matrix row that client A's therapist may call with success."""
    found: dict[Any, Row] = {}
    for name, rows in PAGES.items():
        for i, row in enumerate(rows):
            if row.expect["therapist"] < 400:
                found[(name, i)] = row
    for key, row in API_ROWS.items():
        if row.expect["therapist"] < 400:
            found[key] = row
    return found


def test_every_route_is_classified() -> None:
    found = set(therapist_successes())
    classified = READS_CLIENT_DATA | NO_CLIENT_DATA | STAFF_WRITES
    assert found == classified, f"unclassified: {found - classified}; stale: {classified - found}"
    assert not (READS_CLIENT_DATA & NO_CLIENT_DATA) and not (READS_CLIENT_DATA & STAFF_WRITES)


def _call(world: World, entry_a: Any, key: Any, row: Row, user: Any = None) -> Any:
    user = user or world.therapist
    new = create_api_token(user, "audit")
    o = Objects(world, entry_a.assignment, entry_a, new.token.pk)
    if isinstance(key[0], str) and key[0].isupper():  # an API operation
        http = world.login(None)
        http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {new.secret}"
        data = (
            assignment_body(o)
            if row.data is None and key[0] == "POST"
            else o.body(row.data)
            if isinstance(row.data, str)
            else row.data
        )
        return _request(http, row, row.path(o), data, api_call=True)
    data = o.body(row.data) if isinstance(row.data, str) else row.data
    return _request(world.login(user), row, row.path(o), data, api_call=False)


def _rows_about_a(world: World, after: int) -> Any:
    return AuditEvent.objects.filter(
        pk__gt=after, actor=world.therapist, subject_user_id=world.client_a.user_id
    )


@pytest.mark.parametrize("key", sorted(READS_CLIENT_DATA, key=str), ids=str)
def test_each_read_of_client_data_is_audited(world: World, entry_a: Any, key: Any) -> None:
    row = therapist_successes()[key]
    Objects(world, entry_a.assignment, entry_a, 0)  # the objects exist before the mark
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row)
    assert response.status_code == row.expect["therapist"], response.content[:300]
    assert _rows_about_a(world, mark).exists(), f"{key}: no audit row for client A"
    # Nobody else's data was shown, so no other client is named (client B belongs to the same therapist).
    named = set(
        AuditEvent.objects.filter(pk__gt=mark, actor=world.therapist).values_list(
            "subject_user_id", flat=True
        )
    )
    assert named <= {world.client_a.user_id, world.client_b.user_id, None}


@pytest.mark.parametrize("key", sorted(STAFF_WRITES, key=str), ids=str)
def test_writes_name_their_client(world: World, entry_a: Any, key: Any) -> None:
    row = therapist_successes()[key]
    Objects(world, entry_a.assignment, entry_a, 0)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row)
    assert response.status_code == row.expect["therapist"], response.content[:300]
    assert _rows_about_a(world, mark).exists(), f"{key}: the write names no client in the audit trail"


def test_a_client_reading_their_own_data_is_not_a_staff_read(world: World, entry_a: Any) -> None:
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    world.login(world.client_a.user).get("/today/")
    assert not AuditEvent.objects.filter(pk__gt=mark, action__startswith="read.").exists()


def test_the_clinic_export_names_every_client_it_contains(world: World, entry_a: Any) -> None:
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = world.login(world.admin).get("/clinic/export/compliance.csv")
    assert response.status_code == 200
    named = set(
        AuditEvent.objects.filter(
            pk__gt=mark, actor=world.admin, action="read.export.compliance"
        ).values_list("subject_user_id", flat=True)
    )
    clinic_clients = set(world.clinic.clients.values_list("user_id", flat=True))
    assert clinic_clients and named == clinic_clients


@pytest.mark.parametrize("what", ["compliance", "fhir"])
def test_command_line_exports_are_audited(world: World, entry_a: Any, what: str, tmp_path: Any) -> None:
    from django.core.management import call_command

    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    call_command("export", what, "--out", str(tmp_path / "out"), "--clinic", world.clinic.slug)
    rows = AuditEvent.objects.filter(pk__gt=mark, action=f"read.export.{what}")
    assert set(rows.values_list("subject_user_id", flat=True)) == set(
        world.clinic.clients.values_list("user_id", flat=True)
    )
    assert all(r.detail.get("via") == "command line" and r.actor_id is None for r in rows)


# --- research: the study team reads pseudonymous participant data --------------------------------------------

# Research routes and operations whose answer shows the study's participants (pseudonymous ids, states, dates):
# each read writes one audit row per participant's client, with the team member as actor.
RESEARCH_READS_PARTICIPANTS: set[Any] = {
    ("research_participants", 0),
    ("GET", "/research/studies/{slug}/participants"),
    # the experiment page lists the enrolled participants not allocated yet (client A in the matrix)
    ("research_experiment", 0),
    # the allocation log holds every allocated participant's pseudonym and baseline levels
    ("research_allocation_log", 1),
    ("GET", "/research/studies/{slug}/experiments/{experiment_id}/allocation-log"),
}
# What the team may open that shows no participant: the study's own protocol, team, sites and consent texts,
# and the list of exports. The download of an export is audited as a read of the export itself.
RESEARCH_NO_PARTICIPANT_DATA: set[Any] = {
    ("research_studies", 0),
    ("research_study_create", 0),
    ("research_study", 0),
    ("research_protocol", 0),
    ("research_consent", 0),
    ("research_invite", 0),  # a team member types a client's e-mail address: nothing of a client is shown
    ("research_exports", 0),
    ("research_export_status", 0),
    # Analyses show figures over the whole de-identified data set, never one participant (their reads are
    # audited all the same, see tests/research/test_study_analysis.py).
    ("research_analyses", 0),
    ("research_analysis", 0),
    ("research_analysis_report", 0),
    ("GET", "/research/studies"),
    ("GET", "/research/studies/{slug}/exports"),
    # experiments: designs and counts per arm, never one participant; a replay says ok or where it diverges
    ("research_experiments", 0),
    ("research_experiment_create", 0),
    ("research_experiment_edit", 0),
    ("research_allocation_replay", 0),
    ("research_experiment_power", 0),  # a redirect to the page's power section
    ("GET", "/research/studies/{slug}/experiments"),
    ("GET", "/research/studies/{slug}/experiments/{experiment_id}"),
}
RESEARCH_EXPORT_DOWNLOADS: set[Any] = {("GET", "/research/studies/{slug}/exports/{export_id}/download")}
RESEARCH_WRITES: set[Any] = {  # audited by research/actions/studies.py (tests/research/test_study_pages.py)
    ("research_status", 0),
    ("research_team_add", 0),
    ("research_site_propose", 0),
    ("research_consent_publish", 0),
    ("research_export_request", 0),  # research/actions/exports.py (tests/research/test_export_task.py)
    ("research_analysis_start", 0),  # research/actions/analyses.py (tests/research/test_study_analysis.py)
    # research/actions/experiments.py (tests/research/test_experiment_pages.py)
    ("research_experiment_allocate", 0),
    ("research_experiment_start", 0),
    ("research_experiment_stop", 0),
    ("research_experiment_new_version", 0),
    (
        "research_experiment_power",
        1,
    ),  # research/actions/experiment_power.py (tests/research/test_experiment_results.py)
}


def research_successes(actor: str) -> dict[Any, Row]:
    found: dict[Any, Row] = {}
    for name, rows in PAGES.items():
        for i, row in enumerate(rows):
            if name.startswith("research_") and row.expect[actor] < 400:
                found[(name, i)] = row
    for key, row in API_ROWS.items():
        if key[1].startswith("/research/") and row.expect[actor] < 400:
            found[key] = row
    return found


def test_every_research_route_is_classified() -> None:
    found = set(research_successes("researcher"))
    classified = (
        RESEARCH_READS_PARTICIPANTS
        | RESEARCH_NO_PARTICIPANT_DATA
        | RESEARCH_EXPORT_DOWNLOADS
        | RESEARCH_WRITES
    )
    assert found == classified, f"unclassified: {found - classified}; stale: {classified - found}"


@pytest.mark.parametrize("actor", ["researcher", "statistician"])
@pytest.mark.parametrize(
    "key", sorted(RESEARCH_READS_PARTICIPANTS | RESEARCH_EXPORT_DOWNLOADS, key=str), ids=str
)
def test_each_research_read_is_audited(world: World, entry_a: Any, key: Any, actor: str) -> None:
    from tests.test_permission_matrix import actor_user

    user = actor_user(world, actor)
    row = research_successes(actor)[key]
    Objects(world, entry_a.assignment, entry_a, 0)  # the study, its participant (client A) and its export
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row, user=user)
    assert response.status_code == row.expect[actor], response.content[:300]
    rows = AuditEvent.objects.filter(pk__gt=mark, actor=user)
    if key in RESEARCH_EXPORT_DOWNLOADS:
        assert rows.filter(action="read.research.export").exists(), f"{key}: the download is not audited"
        return
    named = set(rows.filter(action="read.research.participants").values_list("subject_user_id", flat=True))
    assert named == {world.client_a.user_id}, f"{key}: the participant list read names {named}"


# --- training: a supervisor or clinic admin reading a trainee's attempts and progress ---------------------------

TRAINING_READS_OF_TRAINEES: set[Any] = {("training_feedback", 0), ("training_trainee_progress", 0)}


def test_every_training_read_of_a_trainee_is_classified() -> None:
    found = {
        (name, i)
        for name, rows in PAGES.items()
        for i, row in enumerate(rows)
        if name.startswith("training_") and row.expect["admin"] < 400
    }
    assert found - {("training_list", 0)} == TRAINING_READS_OF_TRAINEES


@pytest.mark.parametrize("key", sorted(TRAINING_READS_OF_TRAINEES, key=str), ids=str)
def test_each_read_of_a_trainee_is_audited(world: World, entry_a: Any, key: Any) -> None:
    row = PAGES[key[0]][key[1]]
    o = Objects(world, entry_a.assignment, entry_a, 0)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row, user=world.admin)
    assert response.status_code == 200
    rows = AuditEvent.objects.filter(pk__gt=mark, actor=world.admin, action__startswith="read.training_")
    assert set(rows.values_list("subject_user_id", flat=True)) == {o.attempt.trainee_id}


# The clinic admin's writes (admin-only routes: the therapist gets 403, so they are not in the sets above).
ADMIN_WRITES = (
    "clinic_membership_deactivate",
    "clinic_membership_reactivate",
    "clinic_role_remove",
    "clinic_role_add",
    "clinic_client_reassign",
    "clinic_invitation_resend",
    "clinic_invitation_revoke",
    "save_retention",
    "legal_hold",
)


@pytest.mark.parametrize("name", ADMIN_WRITES)
def test_each_clinic_admin_write_is_audited(world: World, entry_a: Any, name: str) -> None:
    row = PAGES[name][0]
    o = Objects(world, entry_a.assignment, entry_a, 0)
    if name == "clinic_membership_reactivate":  # something to reactivate
        world.login(world.admin).post(f"/clinic/staff/{o.spare_role.pk}/deactivate/")
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, (name, 0), row, user=world.admin)
    assert response.status_code == row.expect["admin"], response.content[:300]
    written = AuditEvent.objects.filter(pk__gt=mark, actor=world.admin, clinic_id=world.clinic.pk)
    assert written.exclude(action__startswith="read.").count() == 1, list(
        written.values_list("action", flat=True)
    )


# --- support person: a coach reads what a client shares; clients change their own link --------------------------

# Coach routes that show a client's shared items (one read.support row per client shown), and the coach's writes.
COACH_READS_CLIENT_DATA: set[Any] = {("coach_page", 0)}
COACH_WRITES: set[Any] = {("coach_encourage", 0)}
# The client's own support actions (support/services.py), each audited with the client as its subject.
CLIENT_SUPPORT_WRITES: set[Any] = {("support_page", 1), ("support_end", 0), ("support_dismiss", 0)}


def support_successes(actor: str) -> dict[Any, Row]:
    return {
        (name, i): row
        for name, rows in PAGES.items()
        for i, row in enumerate(rows)
        if name.startswith(("support_", "coach_")) and row.expect[actor] < 400
    }


def test_every_support_route_is_classified() -> None:
    assert set(support_successes("coach")) == COACH_READS_CLIENT_DATA | COACH_WRITES
    assert set(support_successes("client_a")) - {("support_page", 0)} == CLIENT_SUPPORT_WRITES


@pytest.mark.parametrize("key", sorted(COACH_READS_CLIENT_DATA | COACH_WRITES, key=str), ids=str)
def test_each_coach_read_and_write_names_the_client(world: World, entry_a: Any, key: Any) -> None:
    from tests.test_permission_matrix import actor_user

    coach = actor_user(world, "coach")
    row = PAGES[key[0]][key[1]]
    Objects(world, entry_a.assignment, entry_a, 0)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row, user=coach)
    assert response.status_code == row.expect["coach"], response.content[:300]
    action = "read.support" if key in COACH_READS_CLIENT_DATA else "support.encourage"
    named = set(
        AuditEvent.objects.filter(pk__gt=mark, actor=coach, action=action).values_list(
            "subject_user_id", flat=True
        )
    )
    assert named == {world.client_a.user_id}, f"{key}: {action} names {named}"


@pytest.mark.parametrize("key", sorted(CLIENT_SUPPORT_WRITES, key=str), ids=str)
def test_each_client_support_write_is_audited(world: World, entry_a: Any, key: Any) -> None:
    row = PAGES[key[0]][key[1]]
    Objects(world, entry_a.assignment, entry_a, 0)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, key, row, user=world.client_a.user)
    assert response.status_code == row.expect["client_a"], response.content[:300]
    written = AuditEvent.objects.filter(
        pk__gt=mark,
        actor=world.client_a.user,
        action__startswith="support.",
        subject_user_id=world.client_a.user_id,
    )
    assert written.exists(), f"{key}: not audited"


@pytest.mark.parametrize(("name", "action"), [("clinic_translation_remove", "instrument.translation_remove")])
def test_clinic_admin_writes_are_audited(world: World, entry_a: Any, name: str, action: str) -> None:
    """Clinic admin routes hold no client's data (the therapist cannot open them, so they are not classified
    above); their writes still leave an audit row naming the clinic and the admin."""
    row = PAGES[name][0]
    Objects(world, entry_a.assignment, entry_a, 0)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(world, entry_a, (name, 0), row, user=world.admin)
    assert response.status_code == row.expect["admin"], response.content[:300]
    assert AuditEvent.objects.filter(
        pk__gt=mark, actor=world.admin, action=action, clinic_id=world.clinic.pk
    ).exists()
