from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "emotipal.notifications"
    label = "notifications"

    def ready(self) -> None:
        from emotipal.homework.signals import assignment_created
        from emotipal.notifications.receivers import on_assignment_created

        assignment_created.connect(on_assignment_created, dispatch_uid="notifications.assignment_created")
