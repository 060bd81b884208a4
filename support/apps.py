from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        from mail.kinds import kind_register
        from mail.signals import address_confirmed
        from support import receivers
        from support.models import REPLY_KIND

        address_confirmed.connect(receivers.send_held_replies, dispatch_uid="support.send_held_replies")
        kind_register(REPLY_KIND, "replies to your support requests")
