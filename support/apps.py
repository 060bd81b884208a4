from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        from mail.signals import address_confirmed
        from support import receivers

        address_confirmed.connect(receivers.send_held_replies, dispatch_uid="support.send_held_replies")
