from django.apps import AppConfig
from django.utils import translation

from emotipal.definitions import i18n


class PlatformConfig(AppConfig):
    """Cross-cutting plumbing: settings, security gates, audit, encryption, API root, charts, the clock."""

    name = "emotipal.platform"
    label = "platform"

    def ready(self) -> None:
        # The pure definitions (field schema, instruments) speak the request's language from now on.
        i18n.install(translation.gettext, translation.ngettext)
