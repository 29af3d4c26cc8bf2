from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The simulated demo clinic and its loader: the top layer, which may import every domain app."""

    name = "emotipal.demo"
    label = "demo"
