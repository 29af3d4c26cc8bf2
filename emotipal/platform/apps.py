from typing import Any

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils import translation

from emotipal.definitions import i18n


def create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """The cache's table (settings.CACHES) on every `migrate`: the demo, a deployment and the tests all
    migrate, and none of them then has to remember `createcachetable`. A no-op when the table exists or when
    the cache is Redis."""
    call_command("createcachetable", database=using, verbosity=0)


class PlatformConfig(AppConfig):
    """Cross-cutting plumbing: settings, security gates, audit, encryption, API root, charts, the clock."""

    name = "emotipal.platform"
    label = "platform"

    def ready(self) -> None:
        # The pure definitions (field schema, instruments) speak the request's language from now on.
        i18n.install(translation.gettext, translation.ngettext)
        # Django sends post_migrate once per app that has models, and this one has none: its audit app has (and
        # is always installed), so the table is checked once per migrate, not once per app.
        post_migrate.connect(
            create_cache_table, sender=apps.get_app_config("audit"), dispatch_uid="platform.createcachetable"
        )
