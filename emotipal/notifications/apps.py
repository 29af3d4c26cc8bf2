from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "emotipal.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Imported here: the models must be loaded before the receivers import them.
        from emotipal.accounts.signals import reminder_settings_changed
        from emotipal.homework.signals import assignment_created
        from emotipal.notifications import checks, queries, receivers
        from emotipal.platform import extensions

        extensions.reminder_check.provide(checks.reminder_check)
        extensions.reminder_summary.provide(queries.summary_for_staff)

        assignment_created.connect(receivers.on_assignment_created, dispatch_uid="notifications.assignment")
        reminder_settings_changed.connect(
            receivers.on_reminder_settings_changed, dispatch_uid="notifications.reminder_settings"
        )
