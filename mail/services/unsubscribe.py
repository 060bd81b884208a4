"""The one unsubscribe page's writes: stop what a link names, and undo it.

A link whose kind has a registered ``UnsubscribeHandler`` (``mail.kinds``) and that carries the
handler's ``data`` is the handler's to turn off; any other is stopped for the address by an
``Unsubscription``.
"""
from __future__ import annotations

from django.db import transaction

from mail.addresses import normalize
from mail.kinds import kind_name, unsubscribe_handler
from mail.models import Unsubscription
from mail.services.addresses import address_get_or_create, address_unsubscribe
from mail.tokens import UnsubscribeLink


class KindUnsubscribe:
    """The default: one kind of mail to one address (``mail.Unsubscription``)."""

    def describe(self, link: UnsubscribeLink) -> list[str]:
        return [kind_name(link.kind)]

    def stop(self, link: UnsubscribeLink) -> dict:
        existed = Unsubscription.objects.filter(address__address=normalize(link.address), kind=link.kind).exists()
        address_unsubscribe(address=link.address, kind=link.kind)
        return {"existed": existed}

    def undo(self, link: UnsubscribeLink, state: dict) -> None:
        if not state.get("existed"):
            address_resubscribe(address=link.address, kind=link.kind)

    def manage_url(self, link: UnsubscribeLink) -> str:
        return ""


def handler_for(link: UnsubscribeLink):
    """The kind's registered handler for a link that carries its app's ``data``; otherwise (a plain
    address-and-kind link, as every link was before handlers) that kind for that address."""
    return (unsubscribe_handler(link.kind) if link.data else None) or KindUnsubscribe()


@transaction.atomic
def address_resubscribe(*, address: str, kind: str) -> None:
    """Mails of ``kind`` may go to ``address`` again (the unsubscribe page's Undo); idempotent."""
    row = address_get_or_create(address=address)
    Unsubscription.objects.filter(address=row, kind=kind).delete()


@transaction.atomic
def unsubscribe_apply(*, link: UnsubscribeLink) -> dict:
    """Turn off what ``link`` names (idempotent); returns the state ``unsubscribe_undo`` needs."""
    return handler_for(link).stop(link)


@transaction.atomic
def unsubscribe_undo(*, link: UnsubscribeLink, state: dict) -> None:
    """Put back what ``unsubscribe_apply`` turned off for ``link``."""
    handler_for(link).undo(link, state)
