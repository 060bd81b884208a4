"""Outgoing mail through a real Celery worker on Redis to the loopback SMTP server: queued on
commit by the web side, sent by the worker, its row updated."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from mail.models import EmailAddress, OutgoingMessage
from mail.services import address_confirm, message_send
from mail.tokens import unsubscribe_url
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def send(to: str) -> OutgoingMessage:
    return message_send(to=to, subject="Your question has a new answer", template="mail/email/confirm",
                        context={"address": to, "reason": "A member answered.", "confirm_url": "http://x/"},
                        kind="notification.answer", unsubscribe_url=unsubscribe_url(address=to, kind="notification.answer"))


def test_the_worker_sends_what_the_web_side_queued(celery_worker, smtp_server):
    address_confirm(address="riley@example.com")
    message = send("riley@example.com")  # outside a transaction: queued at once
    [mail] = smtp_server.wait_for(1, timeout=30)
    assert mail["To"] == "riley@example.com" and mail["Message-ID"] == message.message_id
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert wait_for(lambda: OutgoingMessage.objects.get(pk=message.pk).status == OutgoingMessage.Status.SENT)


def test_a_recipient_the_server_refuses_for_good_is_suppressed_by_the_worker(celery_worker, smtp_server):
    address_confirm(address="gone@example.org")
    smtp_server.refuse["gone@example.org"] = "550 5.1.1 User unknown"
    message = send("gone@example.org")
    assert wait_for(lambda: OutgoingMessage.objects.get(pk=message.pk).status == OutgoingMessage.Status.FAILED)
    assert EmailAddress.objects.get(address="gone@example.org").suppressed_reason == "bounce"
    assert smtp_server.messages == []


def test_the_worker_sweeps_a_held_mail_out_once_it_is_due(celery_worker, smtp_server, settings):
    from mail.tasks import sweep

    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address="morgan@example.com")
    first = send("morgan@example.com")
    held = send("morgan@example.com")
    assert held.status == OutgoingMessage.Status.RATE_LIMITED
    assert wait_for(lambda: OutgoingMessage.objects.get(pk=first.pk).status == OutgoingMessage.Status.SENT)
    # The hour has passed: the worker's own rate window is empty, and the held mail is due.
    OutgoingMessage.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    sweep.delay()
    sweep.delay()  # a second sweep at the same time sends nothing more
    smtp_server.wait_for(2, timeout=30)
    assert wait_for(lambda: OutgoingMessage.objects.get(pk=held.pk).status == OutgoingMessage.Status.SENT)
    time.sleep(1)
    assert [m["Message-ID"] for m in smtp_server.messages] == [first.message_id, held.message_id]
