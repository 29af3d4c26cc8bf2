from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "emotipal.privacy"
    label = "privacy"
    verbose_name = "Privacy and data rights"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.platform import extensions
        from emotipal.privacy import my_data_links

        extensions.settings_links.provide(my_data_links.settings_links)
