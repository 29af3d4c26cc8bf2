"""The research API with researcher tokens: the caller's studies, a study's pseudonymous participants, its
exports and their download (a zip of the export's folder, 409 while it is not finished); 404 for a study not
on the caller's team."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from emotipal.accounts.services import create_api_token
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions.participants import move
from emotipal.research.models import JobStatus, StudyExport
from emotipal.research.pseudonyms import pseudonym
from tests.factories import World
from tests.research.study_factory import make_participant, make_study
from tests.research.team_factory import join, researcher_at

API = "/api/v1/research/studies"


def token_client(user: Any) -> Client:
    http = Client()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'research').secret}"
    return http


def export_of(study: Any, world: World, folder: Path | None, **values: Any) -> StudyExport:
    return StudyExport.objects.create(
        study=study, requested_by=world.researcher, folder=str(folder or ""), **values
    )


def test_the_study_list_holds_the_callers_studies_only(world: World) -> None:
    make_study(world, "mine")
    theirs = make_study(world, "theirs")
    other = researcher_at(world.clinic, "r2@example.org")
    join(theirs, other)
    body = token_client(world.researcher).get(API).json()
    assert [s["slug"] for s in body] == ["theirs", "mine"]
    assert body[1] | {"ethics_valid_until": None} == {
        "slug": "mine",
        "title": "Which homework helps",
        "status": "recruiting",
        "role": "investigator",
        "protocol_version": "1.0",
        "target_sample_size": 40,
        "participants": 0,
        "ethics_valid_until": None,
        "recruitment_problem": None,
    }
    assert [s["slug"] for s in token_client(other).get(API).json()] == ["theirs"]
    assert token_client(world.therapist).get(API).status_code == 403
    assert token_client(world.client_a.user).get(API).status_code == 403
    assert Client().get(API).status_code == 401


def test_participants_are_pseudonymous_with_states_and_the_read_is_audited(
    world: World, django_assert_num_queries: Any
) -> None:
    study = make_study(world)
    a = make_participant(world, study, world.client_a)
    make_participant(world, study, world.client_b)
    move(a, "screened", world.therapist)
    http = token_client(world.researcher)
    response = http.get(f"{API}/{study.slug}/participants")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["now"] == {"screened": 1, "candidate": 1}
    assert body["reached"] == {"candidate": 2, "screened": 1}
    ids = {p["id"]: p for p in body["participants"]}
    assert set(ids) == {
        pseudonym(study, "client", world.client_a.pk),
        pseudonym(study, "client", world.client_b.pk),
    }
    assert [e["state"] for e in ids[pseudonym(study, "client", world.client_a.pk)]["events"]] == [
        "candidate",
        "screened",
    ]
    text = response.content.decode()
    assert "Client" not in text and "@" not in text
    audited = AuditEvent.objects.filter(action="read.research.participants", actor=world.researcher)
    assert set(audited.values_list("subject_user_id", flat=True)) == {
        world.client_a.user_id,
        world.client_b.user_id,
    }
    # A fixed number of queries (token, user's MFA policy, study, participants, events, the audit INSERT, ...).
    with django_assert_num_queries(len_of_queries(http, f"{API}/{study.slug}/participants")):
        http.get(f"{API}/{study.slug}/participants")


def len_of_queries(http: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        http.get(path)
    return len(captured)


def test_a_researcher_of_study_a_gets_404_for_study_b(world: World, tmp_path: Path) -> None:
    study_b = make_study(world, "study-b")
    export = export_of(study_b, world, tmp_path, status=JobStatus.DONE)
    outsider = researcher_at(world.clinic, "r2@example.org")
    make_study(world, "study-a", principal_investigator=outsider, created_by=outsider)
    http = token_client(outsider)
    for path in ("participants", "exports", f"exports/{export.pk}/download"):
        assert http.get(f"{API}/study-b/{path}").status_code == 404, path
        assert http.get(f"{API}/no-such-study/{path}").status_code == 404, path
    # An export id of study B asked through study A's slug is not found either.
    assert (
        token_client(world.researcher).get(f"{API}/study-a/exports/{export.pk}/download").status_code == 404
    )


def test_exports_list_their_status_and_a_finished_one_downloads_as_a_zip(
    world: World, tmp_path: Path
) -> None:
    study = make_study(world)
    folder = tmp_path / "export"
    (folder / "data").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"rows": 1}')
    (folder / "data" / "entries.csv").write_text("participant,minutes\nC-1,12\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the export")
    (folder / "link.txt").symlink_to(outside)
    done = export_of(study, world, folder, status=JobStatus.DONE, progress=100)
    running = export_of(study, world, None, status=JobStatus.RUNNING, progress=40)
    statistician = researcher_at(world.clinic, "stats@example.org")
    join(study, statistician)
    http = token_client(statistician)
    listed = http.get(f"{API}/{study.slug}/exports").json()
    assert [(e["id"], e["status"], e["progress"]) for e in listed] == [
        (running.pk, "running", 40),
        (done.pk, "done", 100),
    ]
    assert listed[0]["download"] is None
    assert listed[1]["download"] == f"{API}/{study.slug}/exports/{done.pk}/download"
    response = http.get(listed[1]["download"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="{study.slug}-export-{done.pk}.zip"' in response["Content-Disposition"]
    packed = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    prefix = f"{study.slug}-export-{done.pk}/"
    assert sorted(packed.namelist()) == [f"{prefix}data/entries.csv", f"{prefix}manifest.json"]
    assert packed.read(f"{prefix}data/entries.csv") == b"participant,minutes\nC-1,12\n"
    row = AuditEvent.objects.get(action="read.research.export")
    assert row.actor == statistician and row.target_id == str(done.pk)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": JobStatus.QUEUED}, "waiting to start"),
        ({"status": JobStatus.RUNNING, "progress": 40}, "still being built (40% done)"),
        ({"status": JobStatus.FAILED, "message": "disk full"}, "failed (disk full)"),
        ({"status": JobStatus.DONE, "folder": "/nonexistent/emotipal-export"}, "no longer on the server"),
    ],
)
def test_an_unfinished_export_answers_409_with_what_to_do(
    world: World, values: dict[str, Any], message: str
) -> None:
    study = make_study(world)
    export = StudyExport.objects.create(study=study, requested_by=world.researcher, **values)
    response = token_client(world.researcher).get(f"{API}/{study.slug}/exports/{export.pk}/download")
    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="read.research.export").exists()


def test_care_staff_and_clients_get_404_for_a_study(world: World) -> None:
    study = make_study(world)
    for user in (world.therapist, world.admin, world.client_a.user):
        assert token_client(user).get(f"{API}/{study.slug}/participants").status_code == 404


def test_the_study_list_costs_the_same_queries_for_any_number_of_studies(world: World) -> None:
    http = token_client(world.researcher)
    make_study(world, "first")
    http.get(API)  # the token's first use is recorded once; measure after it
    one = len_of_queries(http, API)
    for i in range(3):
        make_study(world, f"more-{i}")
    assert len_of_queries(http, API) == one
    # And the annotated answers agree with asking each study on its own.
    from emotipal.research.actions.studies import recruitment_problem
    from emotipal.research.models import Study

    Study.objects.filter(slug="more-1").update(status="draft")
    Study.objects.get(slug="more-2").sites.all().delete()
    listed = {s["slug"]: s["recruitment_problem"] for s in http.get(API).json()}
    assert listed == {s.slug: recruitment_problem(s) for s in Study.objects.all()}
    assert (
        listed["first"] is None
        and "not recruiting" in listed["more-1"]
        and "approved site" in listed["more-2"]
    )
