from typing import Any

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import translation
from django_tasks.signals import task_finished, task_started

from emotipal.definitions import i18n


def create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """The cache's table (settings.CACHES) on every `migrate`: the demo, a deployment and the tests all
    migrate, and none of them then has to remember `createcachetable`. A no-op when the table exists or when
    the cache is Redis."""
    call_command("createcachetable", database=using, verbosity=0)


def close_stale_connections(**kwargs: Any) -> None:
    """Around each task, what Django does around each request: a connection past CONN_MAX_AGE, broken, or left
    in a failed transaction is closed, and the next query opens a fresh one. The RQ worker runs its tasks in its
    own long-lived process (emotipal worker), so without this a database restart would fail every later task.
    A connection inside a transaction is left alone: a task is only run inside one by a test (or by code
    running it in-process), and closing it there would end that transaction."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class PlatformConfig(AppConfig):
    """Cross-cutting plumbing: settings, security gates, audit, encryption, API root, charts, the clock."""

    name = "emotipal.platform"
    label = "platform"

    def ready(self) -> None:
        # The pure definitions (field schema, instruments) speak the request's language from now on.
        i18n.install(translation.gettext, translation.ngettext)
        # Django sends post_migrate once per app that has models, and this one has none: its audit app has (and
        # is always installed), so the table is checked once per migrate, not once per app.
        task_started.connect(close_stale_connections, dispatch_uid="platform.task_started")
        task_finished.connect(close_stale_connections, dispatch_uid="platform.task_finished")
        post_migrate.connect(
            create_cache_table, sender=apps.get_app_config("audit"), dispatch_uid="platform.createcachetable"
        )
