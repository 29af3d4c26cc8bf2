"""The compliance-outcome analysis on the study page: asked for by the team on a finished export, run as a
background task on the export's folder (here a data set written by `emotipal.analysis.simulate`), its report
served in a sandbox."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.http import Http404
from django_tasks_db.models import DBTaskResult

from emotipal.analysis.compliance.dataset import load_dataset
from emotipal.analysis.compliance.report import analyse
from emotipal.platform.audit.models import AuditEvent
from emotipal.research import analysis_tasks
from emotipal.research.actions.analyses import request_analysis
from emotipal.research.errors import ResearchError
from emotipal.research.models import JobStatus, Study, StudyAnalysis, StudyExport
from tests.analysis.compliance_sim import dataset_dir
from tests.factories import World
from tests.research.study_factory import make_study

HOSTILE = "<script>alert('x')</script> Dr Evil"


def _export(world: World, study: Study, folder: Path | str, **overrides: Any) -> StudyExport:
    values: dict[str, Any] = {"status": JobStatus.DONE, "folder": str(folder), "progress": 100}
    values.update(overrides)
    return StudyExport.objects.create(study=study, requested_by=world.researcher, **values)


def _rename_therapist(folder: Path, name: str) -> None:
    """A display name that would run as a script if the report did not escape it."""
    path = folder / "therapists.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["display_name"] = name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# The real db_worker closes database connections, so this test commits instead of rolling back.
@pytest.mark.django_db(transaction=True)
def test_the_task_runs_the_analysis_on_the_exports_folder(
    world: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    folder = dataset_dir(tmp_path / "export", seed=5, n_clients=30)
    _rename_therapist(folder, HOSTILE)
    study = make_study(world)
    export = _export(world, study, folder)
    with django_capture_on_commit_callbacks(execute=True):
        analysis = request_analysis(world.researcher, export)
    assert analysis.status == JobStatus.QUEUED
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path.endswith("run_study_analysis") and queued.args_kwargs["args"] == [analysis.pk]
    assert (
        AuditEvent.objects.filter(action="research.analysis.request", target_id=str(analysis.pk)).count() == 1
    )

    call_command("db_worker", "--batch", "--no-reload")
    analysis.refresh_from_db()
    assert analysis.status == JobStatus.DONE, analysis.message
    assert analysis.finished_at is not None and analysis.message == ""
    # The same analysis `emotipal analyse` makes of the folder.
    direct = analyse(load_dataset(folder)).report
    assert analysis.summary["n_clients"] == direct["dataset"]["n_clients"] == 30
    assert analysis.summary["overall"]["r"] == pytest.approx(direct["overall"]["r"], abs=1e-12)
    assert [f["name"] for f in analysis.summary["figures"]] == [f["name"] for f in direct["figures"]]
    html = analysis.report_html
    assert "<h1>Homework compliance and outcome</h1>" in html
    assert str(folder) not in html and f"export {export.pk}" in html  # no server folder in the report
    # Data-derived strings are escaped: where the therapist's name shows it is text, and nothing in the report runs.
    assert "Dr Evil" not in html or "&lt;script&gt;alert('x')&lt;/script&gt; Dr Evil" in html
    assert "<script" not in html.lower()


@pytest.mark.parametrize(
    ("break_folder", "message"),
    [
        (lambda folder: None, "the analysis needs at least 10"),
        (lambda folder: (folder / "scores.csv").unlink(), "scores.csv"),
        (shutil.rmtree, "no longer there"),
    ],
    ids=["too-few-participants", "a-file-missing", "folder-gone"],
)
def test_a_data_set_that_cannot_be_analysed_fails_with_a_clear_message(
    world: World, tmp_path: Path, break_folder: Any, message: str
) -> None:
    folder = dataset_dir(tmp_path / "export", seed=5, n_clients=6 if "10" in message else 30, n_therapists=2)
    break_folder(folder)
    study = make_study(world)
    analysis = StudyAnalysis.objects.create(
        export=_export(world, study, folder), requested_by=world.researcher
    )
    assert analysis_tasks.run_study_analysis.call(analysis.pk) == JobStatus.FAILED
    analysis.refresh_from_db()
    assert analysis.status == JobStatus.FAILED and message in analysis.message, analysis.message
    assert str(tmp_path) not in analysis.message and analysis.report_html == ""
    assert analysis_tasks.run(analysis.pk) == JobStatus.FAILED  # a finished analysis is not run again


def test_only_the_team_may_analyse_and_only_a_finished_export(world: World, tmp_path: Path) -> None:
    study = make_study(world)
    with pytest.raises(ResearchError, match="not finished"):
        request_analysis(world.researcher, _export(world, study, tmp_path, status=JobStatus.RUNNING))
    with pytest.raises(ResearchError, match="not finished"):
        request_analysis(world.researcher, _export(world, study, "", status=JobStatus.DONE))
    done = _export(world, study, tmp_path)
    with pytest.raises(Http404):
        request_analysis(world.therapist, done)  # not on the study's team
    request_analysis(world.researcher, done)
    with pytest.raises(ResearchError, match="already under way"):
        request_analysis(world.researcher, done)
    assert StudyAnalysis.objects.count() == 1
    assert AuditEvent.objects.filter(action="research.analysis.request").count() == 1


def test_the_pages_show_the_analyses_and_serve_the_report_in_a_sandbox(world: World, tmp_path: Path) -> None:
    study = make_study(world)
    export = _export(world, study, tmp_path)
    researcher, therapist = world.login(world.researcher), world.login(world.therapist)
    base = f"/research/studies/{study.slug}"
    page = researcher.get(f"{base}/analyses/")
    assert page.status_code == 200 and f"{base}/exports/{export.pk}/analyse/".encode() in page.content
    assert therapist.get(f"{base}/analyses/").status_code == 404  # not on the team: the study does not exist
    assert world.login(None).get(f"{base}/analyses/").status_code == 302

    assert therapist.post(f"{base}/exports/{export.pk}/analyse/").status_code == 404
    started = researcher.post(f"{base}/exports/{export.pk}/analyse/")
    analysis = StudyAnalysis.objects.get()
    assert started.status_code == 302 and started["Location"] == f"{base}/analyses/{analysis.pk}/"
    again = researcher.post(f"{base}/exports/{export.pk}/analyse/", follow=True)
    assert "already under way" in again.content.decode() and StudyAnalysis.objects.count() == 1

    waiting = researcher.get(f"{base}/analyses/{analysis.pk}/")
    assert waiting.status_code == 200 and b'http-equiv="refresh"' in waiting.content
    assert researcher.get(f"{base}/analyses/{analysis.pk}/report/").status_code == 404  # not ready

    StudyAnalysis.objects.filter(pk=analysis.pk).update(
        status=JobStatus.DONE, report_html="<!DOCTYPE html><p>report</p>", summary={"n_clients": 12}
    )
    shown = researcher.get(f"{base}/analyses/{analysis.pk}/")
    assert b"<iframe" in shown.content and b"sandbox" in shown.content
    report = researcher.get(f"{base}/analyses/{analysis.pk}/report/")
    assert report.status_code == 200 and report.content == b"<!DOCTYPE html><p>report</p>"
    policy = report["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert report["X-Frame-Options"] == "SAMEORIGIN"
    assert AuditEvent.objects.filter(action="research.analysis.read", target_id=str(analysis.pk)).count() == 1
    assert therapist.get(f"{base}/analyses/{analysis.pk}/report/").status_code == 404

    StudyAnalysis.objects.filter(pk=analysis.pk).update(status=JobStatus.FAILED, message="<b>too few</b>")
    failed = researcher.get(f"{base}/analyses/{analysis.pk}/").content.decode()
    assert "&lt;b&gt;too few&lt;/b&gt;" in failed and "<b>too few</b>" not in failed


def test_another_studys_analysis_is_not_found(world: World, tmp_path: Path) -> None:
    one, two = make_study(world, "one"), make_study(world, "two")
    analysis = StudyAnalysis.objects.create(
        export=_export(world, two, tmp_path), requested_by=world.researcher
    )
    researcher = world.login(world.researcher)
    assert researcher.get(f"/research/studies/one/analyses/{analysis.pk}/").status_code == 404
    assert researcher.get(f"/research/studies/two/analyses/{analysis.pk}/").status_code == 200
    assert (
        researcher.post(f"/research/studies/{one.slug}/exports/{analysis.export_id}/analyse/").status_code
        == 404
    )


def test_the_tables_may_sit_in_the_exports_csv_folder(tmp_path: Path) -> None:
    assert (
        analysis_tasks.dataset_folder(tmp_path) == tmp_path
    )  # nothing there: the folder's own message says so
    dataset_dir(tmp_path / "csv", seed=5, n_clients=6, n_therapists=2)
    assert analysis_tasks.dataset_folder(tmp_path) == tmp_path / "csv"
    with pytest.raises(analysis_tasks.AnalysisFailed, match="6 participants"):
        analysis_tasks.analyse_folder(tmp_path, "export 1")
