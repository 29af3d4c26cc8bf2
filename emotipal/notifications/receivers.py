from typing import Any

from emotipal.homework.models import Assignment
from emotipal.notifications.services import schedule_next_reminder


def on_assignment_created(sender: Any, assignment: Assignment, **kwargs: Any) -> None:
    schedule_next_reminder(assignment.client)
