from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "emotipal.support"
    label = "support"
    verbose_name = "Support person"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.platform import extensions
        from emotipal.support import navigation, queries

        extensions.navigation_items.provide(navigation.navigation_items)
        extensions.staff_landing.provide(navigation.coach_landing)
        extensions.settings_links.provide(navigation.settings_links)
        extensions.client_encouragement.provide(queries.unread_encouragement)
        extensions.support_person_since.provide(queries.support_person_since)
