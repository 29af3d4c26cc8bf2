from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from emotipal.platform import config
from emotipal.platform.backup.errors import BackupError


def backup_keys() -> list[str]:
    """EMOTIPAL_BACKUP_KEY, read when a backup or restore runs (the web processes never need it)."""
    try:
        return config.backup_keys(settings.ENV, settings.LOCAL_DIR, list(settings.FIELD_ENCRYPTION_KEYS))
    except ImproperlyConfigured as exc:
        raise BackupError(str(exc)) from exc
