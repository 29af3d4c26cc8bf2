from django.apps import AppConfig

from emotipal.platform import extensions


class PrivacyConfig(AppConfig):
    name = "emotipal.privacy"
    label = "privacy"
    verbose_name = "Privacy and data rights"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.privacy import my_data_links
        from emotipal.privacy.tasks import ensure_scheduled

        extensions.periodic_jobs.provide(lambda: [("retention job", ensure_scheduled())])
        extensions.settings_links.provide(my_data_links.settings_links)
