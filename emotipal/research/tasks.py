"""Background tasks of the research app (Django Tasks API); thin: the work is in research/export/job.py.

research/actions/exports.py enqueues the export on commit of the StudyExport row it creates.
"""

from __future__ import annotations

from django_tasks import task

from emotipal.research.export import job


@task()
def run_study_export(export_id: int) -> str:
    return job.run(export_id)
