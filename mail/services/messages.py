"""Outgoing mail: render, check, count, queue; then deliver from the Celery task.

``message_send`` is the one way any app sends mail. Delivery happens in
``mail.tasks.send_message`` after the caller's transaction commits, through Django's
e-mail framework (``EMAIL_URL`` / ``EMAIL_*``), with retries on SMTP and connection errors.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from core.queueing import delay_on_commit
from core.ratelimit import over_limit, parse_rate
from mail.addresses import normalize
from mail.models import EmailAddress, OutgoingMessage
from mail.selectors import mail_refusal
from mail.services.addresses import address_suppress
from mail.tokens import absolute

logger = logging.getLogger(__name__)

SEND_TASK = "mail.tasks.send_message"


def _brand() -> dict:
    logo = settings.BRAND_LOGO_URL
    return {
        "name": settings.BRAND_NAME,
        "primary": settings.BRAND_PRIMARY_COLOR,
        "accent": settings.BRAND_ACCENT_COLOR,
        "logo_url": absolute(logo) if logo.startswith("/") else logo,
    }


def _render(template: str, context: dict, *, autoescape: bool) -> str:
    # Text parts are rendered without HTML escaping ("Tom & Jerry" stays so); the template
    # backend's own render() always escapes, so the Django template underneath is used.
    return get_template(template).template.render(Context(context, autoescape=autoescape)).strip() + "\n"


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return make_msgid(domain=domain)


@transaction.atomic
def message_send(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    kind: str,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    unsubscribe_url: str | None = None,
) -> OutgoingMessage:
    """Render ``<template>.txt`` and ``<template>.html`` for ``to`` and queue the mail.

    ``kind`` names the sort of mail (``"contact_reply"``, ``"notification.answer"``…): it is
    what an address unsubscribes from and what ``can_mail`` is asked about. The templates get
    ``context`` plus ``brand``, ``site_url`` and ``unsubscribe_url``; the HTML one extends
    ``mail/email/base.html`` for the brand's look. With ``unsubscribe_url`` (from
    ``mail.tokens.unsubscribe_url``) the mail carries ``List-Unsubscribe`` and RFC 8058's
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.

    Always returns the stored ``OutgoingMessage``; its ``status`` says what happened:
    ``queued`` (sent after commit), ``blocked`` (``can_mail`` said no: unconfirmed, suppressed
    or unsubscribed; ``detail`` says which) or ``rate_limited`` (over
    ``MAIL_RATE_PER_RECIPIENT`` for this address; the sweep tries it again when the window has
    passed). ``ServiceError`` when ``to`` is no address.
    """
    address = normalize(to)
    full_context = {**context, "brand": _brand(), "site_url": settings.SITE_URL,
                    "unsubscribe_url": unsubscribe_url, "subject": subject}
    all_headers = dict(headers or {})
    if unsubscribe_url:
        all_headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        all_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = OutgoingMessage(
        to=address, kind=kind, subject=" ".join(subject.split())[:300], reply_to=reply_to or "",
        headers=all_headers, message_id=_message_id(),
        text_body=_render(f"{template}.txt", full_context, autoescape=False),
        html_body=_render(f"{template}.html", full_context, autoescape=True),
    )
    refusal = mail_refusal(address, kind=kind)
    if refusal:
        message.status, message.detail = OutgoingMessage.Status.BLOCKED, refusal
    elif over_rate(address):
        message.status, message.detail = OutgoingMessage.Status.RATE_LIMITED, rate_detail()
        message.next_attempt_at = rate_window_end()
    message.save()
    if message.status == OutgoingMessage.Status.QUEUED:
        delay_on_commit(SEND_TASK, message.pk, what=f"mail {message.pk} to {address}")
    else:
        logger.info("mail: %s to %s not sent: %s", kind, address, message.detail)
    return message


def over_rate(address: str) -> bool:
    """Count one mail to ``address``; True when it is over ``MAIL_RATE_PER_RECIPIENT``."""
    return over_limit(f"mail:to:{address}", settings.MAIL_RATE_PER_RECIPIENT)


def rate_detail() -> str:
    return f"more than {settings.MAIL_RATE_PER_RECIPIENT} mails to this address"


def rate_window_end():
    """When a mail held by the rate limit may go: one window from now (the window opened at or before now)."""
    return timezone.now() + timedelta(seconds=parse_rate(settings.MAIL_RATE_PER_RECIPIENT)[1])


def _email(message: OutgoingMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text_body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to], reply_to=[message.reply_to] if message.reply_to else None,
        headers={**message.headers, "Message-ID": message.message_id},
    )
    email.attach_alternative(message.html_body, "text/html")
    return email


def _permanent(exc: Exception) -> bool:
    """A 5xx answer: retrying will not help (the address or the message is refused)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def message_deliver(*, message: OutgoingMessage) -> bool:
    """Send a queued message now; True when the server took it.

    Precondition: ``message.status == queued``. Checks the address again (a bounce or an
    unsubscription may have come since it was queued). A permanent refusal (5xx) fails the
    message (and suppresses the address when it was the recipient that was refused); other
    SMTP and connection errors are raised for the task to retry (``message_fail`` when it gives up).
    """
    refusal = mail_refusal(message.to, kind=message.kind)
    if refusal:
        _set(message, status=OutgoingMessage.Status.BLOCKED, detail=refusal)
        return False
    OutgoingMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    message.attempts += 1
    try:
        _email(message).send()
    except (smtplib.SMTPException, OSError) as exc:
        if not _permanent(exc):
            _set(message, status=OutgoingMessage.Status.QUEUED, detail=f"{type(exc).__name__}: {exc}")
            raise
        message_fail(message=message, detail=f"refused: {exc}")
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            address_suppress(address=message.to, reason=EmailAddress.Suppression.BOUNCE,
                             detail=f"refused at sending: {exc}")
        return False
    _set(message, status=OutgoingMessage.Status.SENT, detail="", sent_at=timezone.now())
    return True


def message_fail(*, message: OutgoingMessage, detail: str) -> None:
    """Give up on ``message`` for good (a permanent refusal, or ``MAIL_SEND_MAX_ATTEMPTS`` used up), saying why."""
    logger.warning("mail: %s to %s failed: %s", message.kind, message.to, detail)
    _set(message, status=OutgoingMessage.Status.FAILED, detail=detail, next_attempt_at=None)


def message_defer(*, message: OutgoingMessage, error: str) -> None:
    """The send task's retries are used up on a transient error: the sweep tries again after
    ``MAIL_RETRY_LATER`` seconds, until ``MAIL_SEND_MAX_ATTEMPTS`` attempts, then it fails for good
    ("gave up after N attempts: <error>")."""
    if message.attempts >= settings.MAIL_SEND_MAX_ATTEMPTS:
        message_fail(message=message, detail=f"gave up after {message.attempts} attempts: {error}")
        return
    when = timezone.now() + timedelta(seconds=settings.MAIL_RETRY_LATER)
    logger.info("mail: %s to %s deferred after %d attempts: %s", message.kind, message.to, message.attempts, error)
    _set(message, status=OutgoingMessage.Status.DEFERRED, next_attempt_at=when,
         detail=f"{message.attempts} attempts so far, next after {when:%Y-%m-%d %H:%M} UTC: {error}")


def _set(message: OutgoingMessage, **fields) -> None:
    OutgoingMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
