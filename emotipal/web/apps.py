from django.apps import AppConfig


class WebConfig(AppConfig):
    """Pages, the JSON API and the command line: the top layer, which may import every domain app."""

    name = "emotipal.web"
    label = "web"
