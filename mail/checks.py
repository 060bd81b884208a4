"""``manage.py check --deploy``: mail that would never reach anyone in production is reported."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "printed on the console",
    "django.core.mail.backends.filebased.EmailBackend": "written to files",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.dummy.EmailBackend": "thrown away",
}


def check_mail_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found = []
    where = LOCAL_BACKENDS.get(settings.EMAIL_BACKEND)
    if where:
        found.append(checks.Warning(
            f"Outgoing mail is {where}: customers get no replies or confirmations.",
            hint="Set EMAIL_URL (e.g. smtp://user:password@smtp.example.com:587?tls=true) or EMAIL_HOST.",
            id="mail.W001"))
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or not settings.SITE_URL.startswith("https://"):
        found.append(checks.Warning(
            f"SITE_URL={settings.SITE_URL} is not this site's public https address: links in mails will not work.",
            hint="Set SITE_URL, e.g. https://help.example.com.", id="mail.W002"))
    return found
