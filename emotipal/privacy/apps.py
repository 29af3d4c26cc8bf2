from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "emotipal.privacy"
    label = "privacy"
    verbose_name = "Privacy and data rights"
