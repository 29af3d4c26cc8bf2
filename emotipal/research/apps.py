from django.apps import AppConfig

from emotipal.platform import extensions, features


class ResearchConfig(AppConfig):
    name = "emotipal.research"
    label = "research"
    verbose_name = "Research"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.research.settings_links import studies_link

        extensions.settings_links.provide(studies_link)
        from emotipal.research.navigation import navigation_items, staff_landing

        extensions.navigation_items.provide(navigation_items)
        extensions.staff_landing.provide(staff_landing)
        from emotipal.research.features import experiment_settings, experiment_settings_of_many

        features.experiment_settings.provide(experiment_settings)
        features.experiment_settings_of_many.provide(experiment_settings_of_many)
        from emotipal.research.queries_experiments import open_arms_of_client

        extensions.client_study_arms.provide(open_arms_of_client)
        from emotipal.research import mrt

        features.reminder_decisions.provide(mrt.decide_many)
        features.reminders_sent.provide(mrt.record_sent_many)
