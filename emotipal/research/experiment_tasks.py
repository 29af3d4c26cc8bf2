"""Background tasks of experiments (Django Tasks API); thin: the work is in research/power_job.py."""

from __future__ import annotations

from django_tasks import task

from emotipal.research import power_job


@task()
def run_power(experiment_id: int, index: int) -> str:
    return power_job.compute(experiment_id, index)
