"""The beat sweep: mail that the server refused for a while, or that the per-recipient rate limit
held back, is tried again once it is due, so nothing stays stuck.

Each due message is claimed by a conditional UPDATE (its status and ``next_attempt_at`` as
read): of two sweeps running at once, only one changes the row, and only that one queues it.
"""
from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.queueing import delay_on_commit
from mail.models import OutgoingMessage
from mail.selectors import mail_refusal, messages_due
from mail.services.messages import SEND_TASK, _set, message_fail, over_rate, rate_detail, rate_window_end

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


@transaction.atomic
def message_retry(*, message: OutgoingMessage) -> bool:
    """Queue a due deferred or rate-limited ``message`` again; True when this call queued it.

    False when another sweep claimed it first, or when it may not go now: the address was
    refused since (blocked), or it is still over the rate limit (held again for a window, or
    failed for good once ``MAIL_SEND_MAX_ATTEMPTS`` tries were held).
    """
    claimed = OutgoingMessage.objects.filter(
        pk=message.pk, status=message.status, next_attempt_at=message.next_attempt_at,
    ).update(status=OutgoingMessage.Status.QUEUED, next_attempt_at=None)
    if not claimed:
        return False
    held_by_rate = message.status == OutgoingMessage.Status.RATE_LIMITED
    message.status, message.next_attempt_at = OutgoingMessage.Status.QUEUED, None
    refusal = mail_refusal(message.to, kind=message.kind)
    if refusal:
        _set(message, status=OutgoingMessage.Status.BLOCKED, detail=refusal)
        return False
    if held_by_rate and over_rate(message.to):
        _set(message, attempts=message.attempts + 1)
        if message.attempts >= settings.MAIL_SEND_MAX_ATTEMPTS:
            message_fail(message=message, detail=f"gave up after {message.attempts} attempts: {rate_detail()}")
        else:
            _set(message, status=OutgoingMessage.Status.RATE_LIMITED, next_attempt_at=rate_window_end())
        return False
    delay_on_commit(SEND_TASK, message.pk, what=f"mail {message.pk} to {message.to} (tried again)")
    return True


def messages_retry_due(*, now: datetime | None = None) -> int:
    """Try every due deferred or rate-limited message again (``message_retry``); how many were queued."""
    queued = 0
    for message in messages_due(now=now or timezone.now())[:SWEEP_BATCH]:
        queued += message_retry(message=message)
    if queued:
        logger.info("mail: the sweep queued %d message%s again", queued, "" if queued == 1 else "s")
    return queued
