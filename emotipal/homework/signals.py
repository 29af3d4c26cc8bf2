"""Signals the homework app sends so that higher layers (notifications) can react without a reverse import."""

from django.dispatch import Signal

assignment_created = Signal()  # kwargs: assignment
