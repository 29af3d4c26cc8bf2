from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "emotipal.library"
    label = "library"
