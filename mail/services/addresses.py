"""Address state: confirm, suppress (bounce or complaint), unsubscribe from one kind of mail."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from mail.addresses import normalize
from mail.models import EmailAddress, Unsubscription
from mail.signals import address_confirmed

logger = logging.getLogger(__name__)


def address_get_or_create(*, address: str) -> EmailAddress:
    """The row for ``address`` (normalised), made if missing. ``ServiceError`` for a non-address."""
    row, _ = EmailAddress.objects.get_or_create(address=normalize(address))
    return row


@transaction.atomic
def address_confirm(*, address: str) -> EmailAddress:
    """Mark ``address`` confirmed (its owner followed a signed link); idempotent.

    The first confirmation sends ``mail.signals.address_confirmed`` once the transaction commits.
    """
    row = address_get_or_create(address=address)
    if row.confirmed_at is None:
        row.confirmed_at = timezone.now()
        row.save(update_fields=["confirmed_at"])
        transaction.on_commit(lambda: address_confirmed.send(sender=EmailAddress, address=row.address))
    return row


@transaction.atomic
def address_suppress(*, address: str, reason: str, detail: str = "") -> EmailAddress:
    """Never mail ``address`` again (``reason``: an ``EmailAddress.Suppression``), keeping what the
    bounce or complaint said. A later suppression keeps the first one's time and adds its detail."""
    row = address_get_or_create(address=address)
    if row.suppressed_at is None:
        row.suppressed_at = timezone.now()
        row.suppressed_reason = reason
    row.suppressed_detail = "\n".join(filter(None, [row.suppressed_detail, detail.strip()]))[-5000:]
    row.save(update_fields=["suppressed_at", "suppressed_reason", "suppressed_detail"])
    logger.info("mail: %s suppressed (%s)", row.address, reason)
    return row


@transaction.atomic
def address_unsubscribe(*, address: str, kind: str) -> Unsubscription:
    """Stop mails of ``kind`` to ``address``; idempotent."""
    row = address_get_or_create(address=address)
    unsubscription, _ = Unsubscription.objects.get_or_create(address=row, kind=kind)
    return unsubscription
