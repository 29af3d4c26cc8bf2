from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "emotipal.research"
    label = "research"
    verbose_name = "Research"
