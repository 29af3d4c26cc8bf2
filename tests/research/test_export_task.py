"""The export as a background task: requested on the study's page, run by the worker (Tasks API), progress
on the page while it runs, downloaded as a zip by the study's team only, and audited."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions.exports import request_export
from emotipal.research.errors import ResearchError
from emotipal.research.models import JobStatus, StudyExport, StudyMember, StudyRole
from tests.factories import World, make_user
from tests.research.export_world import ExportWorld, build
from tests.research.study_factory import make_participant, make_study

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def export_root(settings: Any, tmp_path: Path) -> Path:
    settings.EMOTIPAL_EXPORT_ROOT = tmp_path / "exports"
    return tmp_path / "exports"


# The real db_worker closes database connections, so this test commits instead of rolling back.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_requested_export(
    world: World, export_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    ew = build(world)
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(world.researcher, ew.study)
    assert export.status == JobStatus.QUEUED
    assert [t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()] == ["run_study_export"]
    call_command("db_worker", "--batch", "--no-reload")
    export.refresh_from_db()
    assert (export.status, export.progress, export.message) == (JobStatus.DONE, 100, "Finished")
    folder = Path(export.folder)
    assert folder.is_relative_to(export_root) and (folder / "manifest.json").is_file()
    assert export.manifest["participants"]["participants_included"] == 3
    assert (
        AuditEvent.objects.filter(action="research.export.request", actor_id=world.researcher.pk).count() == 1
    )
    assert AuditEvent.objects.filter(action="read.research.export.written").count() == 3


def test_progress_is_polled_while_running_and_the_zip_is_for_the_team(world: World, ew_request: Any) -> None:
    ew, export = ew_request
    team = world.login(world.researcher)
    # Queued: the row polls itself every 2 s.
    page = team.get(f"/research/studies/{ew.study.slug}/exports/")
    assert page.status_code == 200 and b'hx-trigger="every 2s"' in page.content
    StudyExport.objects.filter(pk=export.pk).update(
        status=JobStatus.RUNNING, progress=40, message="Writing entries"
    )
    row = team.get(f"/research/studies/{ew.study.slug}/exports/{export.pk}/status/")
    assert b"40% \xc2\xb7 Writing entries" in row.content and b"every 2s" in row.content
    StudyExport.objects.filter(pk=export.pk).update(status=JobStatus.QUEUED, progress=0)
    with override_settings(TASKS=IMMEDIATE):
        from emotipal.research.tasks import run_study_export

        assert run_study_export.enqueue(export.pk).return_value == "done"
    row = team.get(f"/research/studies/{ew.study.slug}/exports/{export.pk}/status/")
    assert b"every 2s" not in row.content and b"Download (zip)" in row.content
    # The download: a zip of the folder, audited per participant.
    response = team.get(f"/research/studies/{ew.study.slug}/exports/{export.pk}/download/")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert any(n.endswith("/clients.csv") for n in names) and any(n.endswith("/manifest.json") for n in names)
    assert (
        AuditEvent.objects.filter(
            action="read.research.export.download", actor_id=world.researcher.pk
        ).count()
        == 3
    )
    # A statistician on the team downloads too; staff who are not on the team get 404 for everything.
    statistician = make_user("stats@example.org", "Stat Istician")
    StudyMember.objects.create(study=ew.study, user=statistician, role=StudyRole.STATISTICIAN)
    assert (
        world.login(statistician)
        .get(f"/research/studies/{ew.study.slug}/exports/{export.pk}/download/")
        .status_code
        == 200
    )
    for outsider in (world.therapist, world.admin, world.foreign_therapist, world.client_a.user):
        http = world.login(outsider)
        for path in ("", f"{export.pk}/status/", f"{export.pk}/download/"):
            assert http.get(f"/research/studies/{ew.study.slug}/exports/{path}").status_code == 404, (
                outsider,
                path,
            )
        assert http.post(f"/research/studies/{ew.study.slug}/exports/new/").status_code == 404
    assert world.login(None).get(f"/research/studies/{ew.study.slug}/exports/").status_code == 302
    assert StudyExport.objects.count() == 1


@pytest.fixture
def ew_request(world: World, django_capture_on_commit_callbacks: Any) -> tuple[ExportWorld, StudyExport]:
    ew = build(world)
    response = world.login(world.researcher).post(f"/research/studies/{ew.study.slug}/exports/new/")
    assert response.status_code == 302
    return ew, StudyExport.objects.get()


def test_bad_requests_are_refused_with_a_message(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    ew = build(world)
    statistician = make_user("stats@example.org", "Stat Istician")
    StudyMember.objects.create(study=ew.study, user=statistician, role=StudyRole.STATISTICIAN)
    with pytest.raises(ResearchError, match="investigators and researchers"):
        request_export(statistician, ew.study)
    request_export(world.researcher, ew.study)
    with pytest.raises(ResearchError, match="already under way"):
        request_export(world.researcher, ew.study)
    empty = make_study(world, "empty-study")
    make_participant(world, empty, world.client_a)
    page = world.login(world.researcher).post(f"/research/studies/{empty.slug}/exports/new/", follow=True)
    assert "no consenting participant" in page.content.decode()
    assert not StudyExport.objects.filter(study=empty).exists()


def test_a_failed_build_says_why_and_leaves_no_folder(world: World, export_root: Path) -> None:
    ew = build(world)
    with override_settings(TASKS=IMMEDIATE):
        export = request_export(world.researcher, ew.study)
    # Between the request and the run, every participant withdrew consent to their data being used.
    for participant in (ew.free_text, ew.data_only, ew.withdrawn_keep):
        participant.consents.update(scopes=[])
    from emotipal.research.export import job

    assert job.run(export.pk) == "refused"
    export.refresh_from_db()
    assert export.status == JobStatus.FAILED and "no consenting participant" in export.message
    assert not any(export_root.rglob("manifest.json"))
    assert job.run(export.pk) == "already failed"
