from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "emotipal.measures"
    label = "measures"
