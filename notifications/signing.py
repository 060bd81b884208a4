"""The signed tokens of unsubscribe links in notification mails sent before the one unsubscribe page
(``/notifications/unsubscribe/<token>/``): who, and which events' e-mails to stop. New mails link to
the mail layer's page (``notifications.unsubscribe``); these are still read, because a mail may be
read months later. ``unsubscribe_token`` makes one, for the tests of those old links."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing

from notifications.events import EVENT_BY_CODE

SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user, events: list[str]) -> str:
    return signing.dumps({"u": user.pk, "e": sorted(set(events))}, salt=SALT, compress=True)


def unsubscribe_read(token: str):
    """``(user, events)`` from a token, or None when it is forged, broken or names no account."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    events = [e for e in data.get("e", []) if e in EVENT_BY_CODE] if isinstance(data, dict) else []
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first() if events else None
    return (user, events) if user is not None else None


def unsubscribe_data(*, user, events) -> dict:
    """What a notification mail's link to the one unsubscribe page carries (``mail.tokens.unsubscribe_url``'s
    ``data``): the account and the events, read back by ``notifications.unsubscribe``."""
    return {"u": user.pk, "e": sorted(set(events))}
