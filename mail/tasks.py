"""Sending mail in the background: one task per message, retried with backoff on transient errors."""
from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings

from mail.models import OutgoingMessage
from mail.services import message_deliver, message_fail


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_message(self, message_id: int) -> None:
    """Deliver ``OutgoingMessage`` ``message_id`` if it is still queued.

    SMTP and connection errors retry after ``MAIL_RETRY_DELAY`` seconds, doubling each time,
    ``MAIL_SEND_RETRIES`` times; then the message is marked failed with the last error.
    """
    message = OutgoingMessage.objects.filter(pk=message_id, status=OutgoingMessage.Status.QUEUED).first()
    if message is None:
        return
    try:
        message_deliver(message=message)
    except (smtplib.SMTPException, OSError) as exc:
        if self.request.retries >= settings.MAIL_SEND_RETRIES:
            message_fail(message=message, detail=f"gave up after {message.attempts} attempts: {exc}")
            return
        raise self.retry(exc=exc, countdown=settings.MAIL_RETRY_DELAY * 2 ** self.request.retries) from exc
