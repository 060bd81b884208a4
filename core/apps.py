from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app shares (service errors, rate limits, the visitor's context, redirects,
    progress bars, on-commit queueing). It holds no models and imports no other app."""

    name = "core"
    verbose_name = "Core"
