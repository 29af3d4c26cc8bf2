"""What notifications do when a lower app says something changed (connected in NotificationsConfig.ready)."""

from typing import Any

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment
from emotipal.notifications.tasks import schedule_next_reminder


def on_assignment_created(sender: Any, assignment: Assignment, **kwargs: Any) -> None:
    schedule_next_reminder(assignment.client)


def on_reminder_settings_changed(sender: Any, profile: ClientProfile, **kwargs: Any) -> None:
    schedule_next_reminder(profile)
