from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Imported here, not at the top: the receivers import models, which need the app registry.
        from mail.kinds import unsubscribe_handler_register
        from notifications import receivers
        from notifications.unsubscribe import KIND_PREFIX, NotificationUnsubscribe

        receivers.connect()
        # The one unsubscribe page asks us what a notification mail's link turns off.
        unsubscribe_handler_register(KIND_PREFIX, NotificationUnsubscribe())
