from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "emotipal.accounts"
    label = "accounts"
