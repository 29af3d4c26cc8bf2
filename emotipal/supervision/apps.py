from django.apps import AppConfig

from emotipal.platform import extensions


class SupervisionConfig(AppConfig):
    name = "emotipal.supervision"
    label = "supervision"
    verbose_name = "Supervision"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.supervision.navigation import navigation_items, staff_landing

        extensions.navigation_items.provide(navigation_items)
        extensions.staff_landing.provide(staff_landing)
