from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Imported here, not at the top: the receivers import models, which need the app registry.
        from notifications import receivers

        receivers.connect()
