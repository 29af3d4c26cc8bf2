from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "emotipal.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        # Imported here: the models must be loaded before the navigation module imports access.
        from emotipal.platform import extensions
        from emotipal.training.navigation import navigation_items, staff_landing

        extensions.navigation_items.provide(navigation_items)
        extensions.staff_landing.provide(staff_landing)
