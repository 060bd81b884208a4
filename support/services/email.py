"""Contacts by e-mail, outgoing: the confirmation a new contact's address gets, and agents' replies.

The rule (``mail.selectors.can_mail``): an address gets nothing but a confirmation until
its owner confirms it. A contact opened on the web form or by e-mail therefore sends
a confirmation at once (unless the address is already confirmed); agents' replies
written before the confirmation are held and go out when it comes
(``contact_replies_send_held``, from ``support.receivers``). Each reply carries the
contact's signed reply address as ``Reply-To``, so the customer's answer comes back to
this contact through the inbound gateway (``support.services.inbound``).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from mail.models import OutgoingMessage
from mail.selectors import is_confirmed
from mail.services import address_confirmation_send, message_send
from mail.tokens import absolute
from support.engine.reply_address import reply_address
from support.models import MAILED_CHANNELS, REPLY_KIND, Contact, ContactMessage

logger = logging.getLogger(__name__)


def reply_keys() -> list[bytes]:
    """Keys that sign reply addresses: from ``SECRET_KEY``, then its fallbacks (addresses
    handed out before a key rotation keep working while the old key is a fallback)."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [salted_hmac("support.reply_address", "key", secret=secret, algorithm="sha256").digest()
            for secret in secrets]


def contact_reply_address(contact: Contact) -> str:
    """``reply+<id>-<signature>@REPLY_DOMAIN``: where the customer's replies to ``contact`` go."""
    return reply_address(contact.pk, key=reply_keys()[0], domain=settings.REPLY_DOMAIN)


def _thread_id(contact: Contact) -> str:
    # One made-up root Message-ID per contact, so every mail about it threads together.
    return f"<contact-{contact.pk}@{settings.REPLY_DOMAIN}>"


def contact_confirmation_send(*, contact: Contact) -> OutgoingMessage | None:
    """Ask the customer of a new e-mail or web-form contact to confirm their address (see the
    module); None when nothing was sent (another channel, already confirmed, or asked within
    the hour)."""
    if contact.channel not in MAILED_CHANNELS:
        return None
    reason = (f"You asked {settings.BRAND_NAME} for help: “{contact.subject}” (request #{contact.pk}). "
              "Confirm this address and our replies will reach you here by e-mail.")
    return address_confirmation_send(address=contact.customer_email, reason=reason)


@transaction.atomic
def contact_reply_send(*, message: ContactMessage) -> OutgoingMessage | None:
    """Mail an agent's reply to the contact's customer, with the contact's reply address.

    Precondition: ``message`` is an agent's message not mailed yet. Returns None when it is
    held: the contact is not an e-mail or web-form one, or the address is not confirmed yet
    (it goes out on confirmation). Otherwise the ``OutgoingMessage``, which may be
    ``blocked`` (suppressed, unsubscribed) or ``rate_limited``; the message keeps it, so
    the console says what became of the reply.
    """
    contact = message.contact
    if contact.channel not in MAILED_CHANNELS or not is_confirmed(contact.customer_email):
        return None
    last_inbound = (contact.messages.exclude(email_message_id="").order_by("-created_at", "-id")
                    .values_list("email_message_id", flat=True).first())
    references = " ".join(filter(None, [_thread_id(contact), last_inbound]))
    own_page = absolute(f"/help/me/contacts/{contact.pk}/") if contact.customer_id else ""
    outgoing = message_send(
        to=contact.customer_email,
        subject=f"Re: [#{contact.pk}] {contact.subject}",
        template="support/email/contact_reply",
        context={"contact": contact, "message": message, "agent_name": _agent_name(message),
                 "customer_name": contact.customer_name, "own_page": own_page},
        kind=REPLY_KIND,
        reply_to=contact_reply_address(contact),
        headers={"In-Reply-To": last_inbound or _thread_id(contact), "References": references},
    )
    ContactMessage.objects.filter(pk=message.pk).update(outgoing_mail=outgoing)
    message.outgoing_mail = outgoing
    return outgoing


def _agent_name(message: ContactMessage) -> str:
    author = message.author
    if author is None:
        return f"{settings.BRAND_NAME} support"
    return author.public_name


def contact_replies_send_held(*, address: str) -> int:
    """Mail the agents' replies held for ``address`` until it was confirmed; how many went out.

    Only replies on contacts still in progress (not closed) and never mailed.
    """
    held = (ContactMessage.objects
            .filter(sender=ContactMessage.Sender.AGENT, outgoing_mail__isnull=True,
                    contact__customer_email__iexact=address, contact__channel__in=MAILED_CHANNELS)
            .exclude(contact__status=Contact.Status.CLOSED)
            .select_related("contact", "author").order_by("created_at", "id"))
    sent = 0
    for message in held:
        if contact_reply_send(message=message) is not None:
            sent += 1
    if sent:
        logger.info("support: %d held repl%s mailed to %s after confirmation", sent, "y" if sent == 1 else "ies",
                    address)
    return sent
