from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo on top of everything: ``manage.py demo``, its loaders and the fixture HTTP server.

    The one app allowed to import every other; nothing imports it (tests aside).
    """

    name = "demo"
    verbose_name = "Demo"
