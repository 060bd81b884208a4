"""Contacts by e-mail, inbound: a raw mail from the gateway or a mailbox becomes a contact message,
opens a new contact (a fresh mail to a support address), or suppresses the addresses a bounce or
a complaint names.

A fresh mail's sender is whoever the From header says, which anyone can write: the new contact
is linked to no account, and its customer gets the plain confirmation mail (signed link) and
nothing else until the address is confirmed (``contact_create``). Mail a machine sent
(auto-replies, lists, mailer-daemons, our own address) opens nothing, so no loop can start.

Both entry points (``POST /api/inbound/email/`` and ``manage.py inbound_mail``) call
``inbound_mail_receive``; the parsing itself is ``support.engine.inbound_mail``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction

from core.errors import ServiceError
from core.ratelimit import over_limit
from mail.addresses import normalize
from mail.models import EmailAddress, OutgoingMessage
from mail.services import address_suppress
from support.engine.inbound_mail import Feedback, Ignored, InboundRefused, Limits, Reply, parse_inbound
from support.models import MAILED_CHANNELS, MESSAGE_MAX_LENGTH, Contact, ContactAttachment, ContactMessage
from support.services.contacts import contact_create, message_append
from support.services.email import reply_keys

logger = logging.getLogger(__name__)

__all__ = ["InboundOutcome", "InboundRefused", "inbound_mail_receive"]


@dataclass
class InboundOutcome:
    """What became of one inbound mail. ``result``: ``message`` (stored on a contact), ``contact``
    (a fresh mail opened a new contact), ``duplicate`` (stored before: same Message-ID),
    ``suppressed`` (a bounce or complaint; ``addresses`` stopped) or ``ignored`` (a bounce or
    complaint about no address we mailed, or a fresh mail a machine sent; ``detail`` says why)."""

    result: str
    contact_id: int | None = None
    message_id: int | None = None
    addresses: list[str] = field(default_factory=list)
    refused_attachments: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def stored(self) -> bool:
        return self.result in ("message", "contact")

    def as_dict(self) -> dict:
        answer = {"result": self.result, "contact": self.contact_id, "message": self.message_id,
                  "addresses": self.addresses, "refused_attachments": self.refused_attachments}
        return {**answer, "detail": self.detail} if self.detail else answer


def _limits() -> Limits:
    return Limits(max_bytes=settings.INBOUND_MAX_BYTES, max_attachments=settings.INBOUND_MAX_ATTACHMENTS,
                  max_attachment_bytes=settings.INBOUND_MAX_ATTACHMENT_BYTES)


def _own_addresses() -> tuple[str, ...]:
    return tuple(filter(None, (parseaddr(a)[1].strip().lower() for a in (settings.DEFAULT_FROM_EMAIL,
                                                                          settings.SERVER_EMAIL))))


def inbound_mail_receive(*, raw: bytes) -> InboundOutcome:
    """Store one raw MIME mail (see the module). ``InboundRefused`` (logged) when it is too large,
    addressed to no contact nor support address, to an unknown contact, or to a forged reply
    address, or has no sender; nothing is stored then."""
    try:
        parsed = parse_inbound(raw, keys=reply_keys(), reply_domain=settings.REPLY_DOMAIN, limits=_limits(),
                               support_addresses=tuple(settings.SUPPORT_EMAIL_ADDRESSES),
                               own_addresses=_own_addresses())
        if isinstance(parsed, Feedback):
            return _feedback_apply(parsed)
        if isinstance(parsed, Ignored):
            logger.info("inbound mail from %s to support ignored: %s", parsed.from_address, parsed.reason)
            return InboundOutcome("ignored", addresses=[parsed.from_address], detail=parsed.reason)
        if parsed.contact_id is None:
            return _new_contact_store(parsed)
        return _reply_store(parsed)
    except InboundRefused as refused:
        logger.warning("inbound mail refused (%s): %s", refused.code, refused.message)
        raise


@transaction.atomic
def _feedback_apply(feedback: Feedback) -> InboundOutcome:
    """Suppress each address the report names, if it is one we mailed (and, when the report
    quotes the original Message-ID, that mail was ours to that address): a forged report must
    not stop mail to someone we never wrote to."""
    reason = EmailAddress.Suppression.BOUNCE if feedback.kind == "bounce" else EmailAddress.Suppression.COMPLAINT
    stopped = []
    for address in dict.fromkeys(feedback.addresses):
        ours = OutgoingMessage.objects.filter(to=address)
        if feedback.original_message_id and ours.filter(message_id=feedback.original_message_id).exists():
            pass
        elif feedback.original_message_id and OutgoingMessage.objects.filter(
                message_id=feedback.original_message_id).exists():
            logger.warning("inbound %s names %s, but the mail it quotes went to someone else", feedback.kind, address)
            continue
        elif not ours.exists():
            logger.warning("inbound %s about %s, an address we never mailed: ignored", feedback.kind, address)
            continue
        address_suppress(address=address, reason=reason, detail=feedback.detail)
        stopped.append(address)
    return InboundOutcome("suppressed" if stopped else "ignored", addresses=stopped)


def _body(reply: Reply, *, heading: str = "") -> tuple[str, bytes | None]:
    """The message text (after ``heading``, refused attachments named in it) and, when the text is
    longer than a message holds, the whole text to keep as an attachment so nothing is lost."""
    notes = [f"[Attachment not kept: {r.filename} ({r.size:,} bytes), {r.reason}]" for r in reply.refused_attachments]
    heading = heading[:500]
    text = reply.text or ("(attachments only)" if reply.attachments else "")
    body = "\n\n".join(filter(None, [heading, text, *notes]))
    if len(body) <= MESSAGE_MAX_LENGTH:
        return body, None
    cut_note = "\n\n[The e-mail was longer than a message holds: the whole text is attached as message.txt]"
    kept = text[:MESSAGE_MAX_LENGTH - len(cut_note) - 1000]
    return ("\n\n".join(filter(None, [heading, kept])) + cut_note + "\n\n" + "\n".join(notes)[:400],
            text.encode())


@transaction.atomic
def _reply_store(reply: Reply) -> InboundOutcome:
    contact = Contact.objects.select_for_update().filter(pk=reply.contact_id).first()
    if contact is None:
        raise InboundRefused("unknown_contact", f"Contact #{reply.contact_id} does not exist (any more).",
                             address=reply.to_address)
    if reply.message_id and ContactMessage.objects.filter(contact=contact, email_message_id=reply.message_id).exists():
        return InboundOutcome("duplicate", contact_id=contact.pk)
    body, whole = _body(reply)
    email = {"email_from": reply.from_address[:254], "email_message_id": reply.message_id[:255]}
    if contact.status == Contact.Status.CLOSED:
        # A closed contact is not re-opened; the customer's new words start a new one, as the
        # web page asks them to.
        contact = contact_create(channel=Contact.Channel.EMAIL, customer_email=contact.customer_email,
                                 customer_name=contact.customer_name, subject=contact.subject, body=body,
                                 opened_by=None, email=email)
        message = contact.messages.get()
    else:
        message = message_append(contact=contact, sender=ContactMessage.Sender.CUSTOMER, author=contact.customer,
                                 body=body, email=email)
    _attachments_store(message, reply, whole)
    if reply.from_address and reply.from_address != contact.customer_email.strip().lower():
        logger.info("inbound reply to contact %s from %s, not the customer's own %s", contact.pk,
                    reply.from_address, contact.customer_email)
    return InboundOutcome("message", contact_id=contact.pk, message_id=message.pk,
                          refused_attachments=[r.filename for r in reply.refused_attachments])


def _attachments_store(message: ContactMessage, mail: Reply, whole: bytes | None) -> None:
    files = [(a.filename, a.content_type, a.content) for a in mail.attachments]
    if whole is not None:
        files.append(("message.txt", "text/plain", whole))
    for filename, content_type, content in files:
        attachment = ContactAttachment(message=message, filename=filename, content_type=content_type[:100],
                                       size=len(content))
        attachment.file.save(filename, ContentFile(content), save=True)


@transaction.atomic
def _new_contact_store(mail: Reply) -> InboundOutcome:
    """A fresh mail to a support address: a new e-mail contact for its sender (see the module)."""
    try:
        sender = normalize(mail.from_address)
    except ServiceError:
        raise InboundRefused("no_sender", f"The sender {mail.from_address!r} is not an address to answer.",
                             address=mail.to_address) from None
    existing = mail.message_id and ContactMessage.objects.filter(
        email_message_id=mail.message_id[:255], sender=ContactMessage.Sender.CUSTOMER,
        contact__channel__in=MAILED_CHANNELS, contact__customer_email__iexact=sender,
    ).values_list("contact_id", flat=True).first()
    if existing:
        return InboundOutcome("duplicate", contact_id=existing)
    email = {"email_from": sender, "email_message_id": mail.message_id[:255]}
    # An answer to a mail we sent this address (the confirmation: it has no reply address, so
    # "Reply" reaches the support address) belongs with the request it was about, not a new one.
    answers_us = bool(mail.references) and OutgoingMessage.objects.filter(
        to=sender, message_id__in=mail.references).exists()
    crowded = over_limit(f"inbound:new:{sender}", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["contact"])
    latest = (Contact.objects.filter(channel__in=MAILED_CHANNELS, customer_email__iexact=sender)
              .exclude(status=Contact.Status.CLOSED).order_by("-created_at", "-id").first()
              ) if crowded or answers_us else None
    if latest is not None:
        # Or more new requests from one address than the contact form allows (RATE_CONTACT): a
        # mail loop with a machine that hides it, or a flood under someone's address. Nothing is
        # lost and the queue is not flooded: the mail joins the sender's latest open request.
        body, whole = _body(mail, heading=f"[New e-mail: {mail.subject or '(no subject)'}]")
        message = message_append(contact=latest, sender=ContactMessage.Sender.CUSTOMER, author=None,
                                 body=body, email=email)
        _attachments_store(message, mail, whole)
        logger.info("inbound mail from %s added to contact %s (%s)", sender, latest.pk,
                    "an answer to our mail" if answers_us else "over the new-request limit")
        return InboundOutcome("message", contact_id=latest.pk, message_id=message.pk,
                              refused_attachments=[r.filename for r in mail.refused_attachments])
    body, whole = _body(mail)
    # AnonymousUser: the From header proves nothing, so, as for a visitor on the web form, the
    # address is where replies go (once confirmed) and the contact joins no one's account.
    contact = contact_create(channel=Contact.Channel.EMAIL, customer_email=sender,
                             customer_name=mail.from_name[:150], subject=mail.subject or "(no subject)",
                             body=body, opened_by=AnonymousUser(), email=email)
    message = contact.messages.get()
    _attachments_store(message, mail, whole)
    logger.info("inbound mail from %s to %s opened contact %s", sender, mail.to_address, contact.pk)
    return InboundOutcome("contact", contact_id=contact.pk, message_id=message.pk,
                          refused_attachments=[r.filename for r in mail.refused_attachments])
