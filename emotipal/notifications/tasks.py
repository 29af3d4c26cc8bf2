"""Background tasks (Django Tasks API): the same code runs on the database backend or on RQ."""

from __future__ import annotations

from django_tasks import task


@task()
def send_homework_reminder(reminder_id: int) -> str:
    from emotipal.notifications.services import send_reminder

    return send_reminder(reminder_id)
