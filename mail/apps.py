from django.apps import AppConfig
from django.core import checks


class MailConfig(AppConfig):
    """Outgoing mail for every app: addresses (confirmed, suppressed, unsubscribed), rendering,
    rate limits, sending from Celery, signed links. It sits above ``core`` and below
    ``community``: it knows no other app, and tells them about confirmations by a signal."""

    name = "mail"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from mail.checks import check_mail_settings

        checks.register(check_mail_settings, checks.Tags.compatibility, deploy=True)
