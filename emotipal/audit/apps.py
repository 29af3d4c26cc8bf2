from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "emotipal.audit"
    label = "audit"
