"""Sending mail in the background: one task per message, retried with backoff on transient errors,
and a beat sweep that tries deferred and rate-limited mail again once it is due."""
from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings

from mail.models import OutgoingMessage
from mail.services import message_defer, message_deliver, messages_retry_due


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_message(self, message_id: int) -> None:
    """Deliver ``OutgoingMessage`` ``message_id`` if it is still queued.

    SMTP and connection errors retry after ``MAIL_RETRY_DELAY`` seconds, doubling each time,
    ``MAIL_SEND_RETRIES`` times; then the message is deferred for the sweep (``message_defer``),
    or failed with the last error once ``MAIL_SEND_MAX_ATTEMPTS`` attempts are used up.
    """
    message = OutgoingMessage.objects.filter(pk=message_id, status=OutgoingMessage.Status.QUEUED).first()
    if message is None:
        return
    try:
        message_deliver(message=message)
    except (smtplib.SMTPException, OSError) as exc:
        if self.request.retries >= settings.MAIL_SEND_RETRIES or message.attempts >= settings.MAIL_SEND_MAX_ATTEMPTS:
            message_defer(message=message, error=f"{type(exc).__name__}: {exc}")
            return
        raise self.retry(exc=exc, countdown=settings.MAIL_RETRY_DELAY * 2 ** self.request.retries) from exc


@shared_task
def sweep() -> int:
    """Beat: queue again the deferred and rate-limited mails that are due (``messages_retry_due``)."""
    return messages_retry_due()
