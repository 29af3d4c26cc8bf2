"""The reminder benchmark's floor: a task that does nothing, run by the same workers as the reminders."""

from __future__ import annotations

from django_tasks import task


@task()
def nothing(n: int) -> int:
    return n
