from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "emotipal.platform.audit"
    label = "audit"
