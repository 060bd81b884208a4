"""Signed links in mails (``django.core.signing``, keyed by ``SECRET_KEY``): unsubscribe and confirm.

A link carries what it acts on, signed, so its page needs no login and no stored token:
anyone holding the mail can act on it, and nobody can forge one for another address.
Unsubscribe links never expire (RFC 8058 mail clients may use them months later);
confirmation links expire after ``MAIL_CONFIRM_DAYS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "mail.unsubscribe"
UNDO_SALT = "mail.unsubscribe.undo"
CONFIRM_SALT = "mail.confirm"
UNDO_MAX_AGE = 7 * 86400


@dataclass(frozen=True)
class UnsubscribeLink:
    """What an unsubscribe link names: the address, the kind of mail, and what the kind's app put in
    it (``data``, e.g. the account and events of a notification mail; empty for a plain kind)."""

    address: str
    kind: str
    data: dict = field(default_factory=dict, hash=False)


def absolute(path: str) -> str:
    """``path`` on this site, as a link in a mail needs it (``SITE_URL`` + path)."""
    return settings.SITE_URL + path


def unsubscribe_token(*, address: str, kind: str, data: dict | None = None) -> str:
    payload = {"a": address.strip().lower(), "k": kind}
    if data:
        payload["d"] = data
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, address: str, kind: str, data: dict | None = None) -> str:
    """The one-click link that stops mails of ``kind`` to ``address`` (give it to ``message_send``).

    ``data`` (JSON-able, signed into the link) is for the kind's ``UnsubscribeHandler``
    (``mail.kinds``), when an app decides what its links turn off."""
    return absolute(reverse("mail:unsubscribe", args=[unsubscribe_token(address=address, kind=kind, data=data)]))


def unsubscribe_token_read(token: str) -> UnsubscribeLink | None:
    """What an unsubscribe link's token names, or None when it is not one we signed. Links made
    before ``data`` existed (address and kind only) read the same, with empty ``data``."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        data = payload.get("d") or {}
        if not isinstance(data, dict):
            return None
        return UnsubscribeLink(str(payload["a"]), str(payload["k"]), data)
    except (signing.BadSignature, KeyError, TypeError, AttributeError):
        return None


def undo_token(*, link: UnsubscribeLink, state: dict) -> str:
    """The signed state the unsubscribed page's Undo button posts back (valid a week, for this link only)."""
    return signing.dumps({"l": [link.address, link.kind, link.data], "s": state}, salt=UNDO_SALT, compress=True)


def undo_token_read(token: str, *, link: UnsubscribeLink) -> dict | None:
    """The state ``undo_token`` signed for ``link``, or None (forged, expired, or for another link)."""
    try:
        payload = signing.loads(token, salt=UNDO_SALT, max_age=UNDO_MAX_AGE)
        if payload["l"] != [link.address, link.kind, link.data] or not isinstance(payload["s"], dict):
            return None
        return payload["s"]
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
