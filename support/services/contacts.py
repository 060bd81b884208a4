"""Contacts and their messages: open (with the e-mail policy), write, assign, set the status.

Callers run the matching ``support.permissions.check_*`` first; these functions assume it passed.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.errors import ServiceError
from kb.models import Article
from support.models import MESSAGE_MAX_LENGTH, Contact, ContactMessage
from support.permissions import can_handle_contacts
from support.services.email import contact_confirmation_send, contact_reply_send
from support.signals import contact_created, contact_message_created

MAX_SEARCH_TERMS = 20
MAX_SEARCH_TERM_LENGTH = 200


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("The message is empty.", code="empty_message", field="body")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ServiceError(f"The message is longer than {MESSAGE_MAX_LENGTH} characters.",
                           code="message_too_long", field="body")
    return body


def _clean_terms(terms: Iterable[str]) -> list[str]:
    # The help center sends what the visitor typed; keep it short and de-duplicated, in order.
    cleaned = [" ".join(str(t).split())[:MAX_SEARCH_TERM_LENGTH] for t in terms]
    return list(dict.fromkeys(t for t in cleaned if t))[:MAX_SEARCH_TERMS]


def customer_for_email(email: str):
    """The community account with this e-mail (case-insensitive), or None."""
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


def _customer(*, opened_by, customer_email: str, customer_name: str) -> tuple[str, str, object | None]:
    """``(address, name, account)`` of the customer behind a new contact, by who opens it (see ``contact_create``)."""
    if opened_by is not None and not opened_by.is_authenticated:
        return customer_email, customer_name, None
    if opened_by is not None:
        own = (opened_by.email or "").strip()
        customer_email = customer_email or own
        if not can_handle_contacts(opened_by):
            mine = bool(own) and customer_email.casefold() == own.casefold()
            return customer_email, customer_name or opened_by.public_name, opened_by if mine else None
    return customer_email, customer_name, customer_for_email(customer_email) if customer_email else None


@transaction.atomic
def contact_create(
    *,
    channel: str,
    customer_email: str = "",
    customer_name: str = "",
    subject: str,
    body: str,
    search_terms: Iterable[str] = (),
    viewed_article_ids: Iterable[int] = (),
    opened_by=None,
    email: dict | None = None,
) -> Contact:
    """Open a contact with its first customer message.

    Who the customer is depends on who opens it (``opened_by``: the signed-in user, an
    anonymous visitor, or None for the system itself, such as a mail gateway's import):

    - the system, an agent or a gateway account: the address is trusted (an agent's own when
      left out), and the community account with that address (case-insensitively) is linked;
    - a signed-in customer: the address defaults to their own and the name to their display
      name; the contact is theirs only when written from their own address (another address
      is only where replies go, it attaches the contact to no one);
    - an anonymous visitor (the web form): the address is kept but never linked, since anyone
      can type anyone's address.

    Checks that ``opened_by`` may use ``channel`` come first (``check_can_create_contact``).
    Unknown article ids in ``viewed_article_ids`` are dropped: stale help-center context
    must not stop a customer from reaching support. Only published articles are kept.

    An e-mail or web-form contact whose address is not confirmed yet mails a confirmation
    (``support.services.email``): agents' replies go out by e-mail once it is confirmed.
    ``email`` holds ``email_from`` and ``email_message_id`` when the first message came in
    by e-mail (a reply to a closed contact, see ``support.services.inbound``).
    """
    if channel not in Contact.Channel.values:
        raise ServiceError(f"Unknown channel {channel!r}.", code="invalid_channel", field="channel")
    customer_email, customer_name, customer = _customer(
        opened_by=opened_by, customer_email=(customer_email or "").strip(), customer_name=(customer_name or "").strip())
    if not customer_email:
        raise ServiceError("An e-mail address is required.", code="email_required", field="customer_email")
    subject = " ".join((subject or "").split())
    if not subject:
        raise ServiceError("A subject is required.", code="subject_required", field="subject")
    body = _clean_body(body)

    contact = Contact.objects.create(
        channel=channel,
        customer_email=customer_email,
        customer_name=customer_name[:150],
        customer=customer,
        subject=subject[:300],
        search_terms=_clean_terms(search_terms),
    )
    ids = {int(i) for i in viewed_article_ids}
    if ids:
        contact.viewed_articles.set(Article.objects.filter(pk__in=ids, status=Article.Status.PUBLISHED))
    ContactMessage.objects.create(contact=contact, sender=ContactMessage.Sender.CUSTOMER,
                                  author=contact.customer, body=body, **(email or {}))
    contact_confirmation_send(contact=contact)
    contact_created.send(sender=Contact, contact_id=contact.pk, actor_id=contact.customer_id)
    return contact


@transaction.atomic
def message_append(*, contact: Contact, sender: str, author=None, body: str, email: dict | None = None) -> ContactMessage:
    """Add a message. A customer writing re-opens a pending or resolved contact (they still need help).

    An agent's message on an e-mail or web-form contact is mailed to the customer
    (``contact_reply_send``: held until the address is confirmed). ``email`` holds
    ``email_from`` and ``email_message_id`` of a message that came in by e-mail.
    """
    if sender not in ContactMessage.Sender.values:
        raise ServiceError(f"Unknown sender {sender!r}.", code="invalid_sender", field="sender")
    message = ContactMessage.objects.create(contact=contact, sender=sender, author=author, body=_clean_body(body),
                                            **(email or {}))
    changes = {"updated_at": timezone.now()}
    if sender == ContactMessage.Sender.CUSTOMER and contact.status in (Contact.Status.PENDING, Contact.Status.RESOLVED):
        changes["status"] = Contact.Status.OPEN
    Contact.objects.filter(pk=contact.pk).update(**changes)
    for name, value in changes.items():
        setattr(contact, name, value)
    if sender == ContactMessage.Sender.AGENT:
        contact_reply_send(message=message)
    contact_message_created.send(sender=ContactMessage, message_id=message.pk, actor_id=message.author_id,
                                 by=message.sender)
    return message


@transaction.atomic
def contact_assign(*, contact: Contact, agent) -> Contact:
    """Assign to ``agent`` (None unassigns). Precondition: ``check_can_assign``."""
    contact.assigned_agent = agent
    contact.save(update_fields=["assigned_agent", "updated_at"])
    return contact


@transaction.atomic
def contact_set_status(*, contact: Contact, status: str) -> Contact:
    if status not in Contact.Status.values:
        raise ServiceError(f"Unknown status {status!r}.", code="invalid_status", field="status")
    contact.status = status
    contact.save(update_fields=["status", "updated_at"])
    return contact
