"""Mail reads: may this address be mailed, and why not.

The rule, in one place: never mail an address that is suppressed (it bounced, or its owner
complained), that unsubscribed from this kind of mail, or that is not confirmed. The one
exception to "confirmed" is the confirmation mail itself (``kind=CONFIRMATION``): it is the
first and only mail an unconfirmed address gets, and it must say plainly that it is one.
"""
from __future__ import annotations

from core.errors import ServiceError
from mail.addresses import normalize
from mail.models import EmailAddress, OutgoingMessage, Unsubscription

CONFIRMATION = "confirmation"
NOT_CONFIRMED = "the address is not confirmed"


def address_get(address: str) -> EmailAddress | None:
    try:
        return EmailAddress.objects.filter(address=normalize(address)).first()
    except ServiceError:
        return None


def mail_refusal(address: str, *, kind: str | None = None) -> str:
    """Why ``address`` may not get a mail of ``kind`` now, in words for a log or a person; "" when it may."""
    row = address_get(address)
    if row is None:
        return "" if kind == CONFIRMATION else NOT_CONFIRMED
    if row.is_suppressed:
        return f"the address is suppressed ({row.get_suppressed_reason_display().lower()})"
    if kind and Unsubscription.objects.filter(address=row, kind=kind).exists():
        return f"the address unsubscribed from {kind} mails"
    if not row.is_confirmed and kind != CONFIRMATION:
        return NOT_CONFIRMED
    return ""


def can_mail(address: str, *, kind: str | None = None) -> bool:
    """True when a mail of ``kind`` may go to ``address`` (see the module's rule)."""
    return not mail_refusal(address, kind=kind)


def is_confirmed(address: str) -> bool:
    row = address_get(address)
    return bool(row and row.is_confirmed)



def messages_due(*, now):
    """Deferred and rate-limited messages whose ``next_attempt_at`` has come, oldest first."""
    return (OutgoingMessage.objects
            .filter(status__in=[OutgoingMessage.Status.DEFERRED, OutgoingMessage.Status.RATE_LIMITED],
                    next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id"))
