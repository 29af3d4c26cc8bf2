"""Signals the accounts app sends so that higher layers (notifications) can react without a reverse import."""

from django.dispatch import Signal

reminder_settings_changed = Signal()  # kwargs: profile (the client whose reminder time or time zone changed)
