from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "emotipal.homework"
    label = "homework"
