"""Signed links in mails (``django.core.signing``, keyed by ``SECRET_KEY``): unsubscribe and confirm.

A link carries what it acts on, signed, so its page needs no login and no stored token:
anyone holding the mail can act on it, and nobody can forge one for another address.
Unsubscribe links never expire (RFC 8058 mail clients may use them months later);
confirmation links expire after ``MAIL_CONFIRM_DAYS``.
"""
from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "mail.unsubscribe"
CONFIRM_SALT = "mail.confirm"


def absolute(path: str) -> str:
    """``path`` on this site, as a link in a mail needs it (``SITE_URL`` + path)."""
    return settings.SITE_URL + path


def unsubscribe_url(*, address: str, kind: str) -> str:
    """The one-click link that stops mails of ``kind`` to ``address`` (give it to ``message_send``)."""
    token = signing.dumps({"a": address.strip().lower(), "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)
    return absolute(reverse("mail:unsubscribe", args=[token]))


def unsubscribe_token_read(token: str) -> tuple[str, str] | None:
    """``(address, kind)`` from an unsubscribe link's token, or None when it is not one we signed."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return str(data["a"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError):
        return None


def confirm_url(*, address: str) -> str:
    """The link that confirms ``address`` belongs to whoever reads mail there."""
    token = signing.dumps({"a": address.strip().lower()}, salt=CONFIRM_SALT, compress=True)
    return absolute(reverse("mail:confirm", args=[token]))


def confirm_token_read(token: str) -> str | None:
    """The address a confirmation token was made for, or None when forged or expired."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.MAIL_CONFIRM_DAYS * 86400)
        return str(data["a"])
    except (signing.BadSignature, KeyError, TypeError):
        return None
