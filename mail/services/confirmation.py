"""The confirmation mail: the one mail an unconfirmed address may get, and it says so plainly."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mail.addresses import normalize
from mail.models import OutgoingMessage
from mail.selectors import CONFIRMATION, address_get
from mail.services.messages import message_send
from mail.tokens import confirm_url

# One confirmation an hour at most per address, whoever asks: a form that anyone can fill in
# with anyone's address must not become a way to flood that inbox.
RESEND_AFTER = timedelta(hours=1)


def address_confirmation_send(*, address: str, reason: str) -> OutgoingMessage | None:
    """Mail ``address`` a signed confirmation link, saying ``reason`` (why we ask, in a sentence).

    Returns None without sending when the address is already confirmed, or when a confirmation
    went to it within the last hour; otherwise the ``OutgoingMessage`` (which may be ``blocked``
    when the address is suppressed). ``ServiceError`` for a non-address.
    """
    address = normalize(address)
    row = address_get(address)
    if row is not None and row.is_confirmed:
        return None
    recent = OutgoingMessage.objects.filter(
        to=address, kind=CONFIRMATION, created_at__gte=timezone.now() - RESEND_AFTER,
        status__in=[OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENT])
    if recent.exists():
        return None
    return message_send(
        to=address, kind=CONFIRMATION, subject="Please confirm your e-mail address",
        template="mail/email/confirm",
        context={"address": address, "reason": reason, "confirm_url": confirm_url(address=address)},
    )
