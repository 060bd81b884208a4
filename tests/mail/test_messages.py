"""Outgoing mail through a real SMTP server on loopback: what a recipient's mail client receives."""
from __future__ import annotations

import socket

import pytest

from mail.models import EmailAddress, OutgoingMessage
from mail.selectors import can_mail
from mail.services import (
    address_confirm, address_confirmation_send, address_suppress, address_unsubscribe, message_send,
)
from mail.tokens import unsubscribe_url

pytestmark = pytest.mark.django_db

RILEY = "riley@example.com"


def status(message: OutgoingMessage) -> str:
    """The message's status now (the send task updates the row after ``message_send`` returned it)."""
    message.refresh_from_db()
    return message.status


def send(**overrides):
    arguments = dict(to=RILEY, subject="Your answer from Tom & Jerry", template="mail/email/confirm",
                     context={"address": RILEY, "reason": "Tom & Jerry <asked> for it.", "confirm_url": "http://x/"},
                     kind="test")
    return message_send(**{**arguments, **overrides})


def test_a_confirmed_address_gets_text_and_html_with_reply_to_and_one_click_unsubscribe(
        smtp_server, django_capture_on_commit_callbacks, settings):
    address_confirm(address="Riley@Example.com")
    link = unsubscribe_url(address=RILEY, kind="test")
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(reply_to="reply+abc@reply.localhost", unsubscribe_url=link, headers={"In-Reply-To": "<a@b>"})
    [mail] = smtp_server.messages
    assert status(sent) == OutgoingMessage.Status.SENT and sent.attempts == 1 and sent.sent_at
    assert mail["To"] == RILEY and mail["Subject"] == "Your answer from Tom & Jerry"
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL and mail["Reply-To"] == "reply+abc@reply.localhost"
    assert mail["Message-ID"] == sent.message_id and mail["In-Reply-To"] == "<a@b>"
    assert mail["List-Unsubscribe"].strip() == f"<{link}>"  # folded onto its own line: the URL is long
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Tom & Jerry <asked> for it." in text and "Unsubscribe from these e-mails: " + link in text
    assert "Tom &amp; Jerry &lt;asked&gt; for it." in html and "<asked>" not in html
    assert settings.BRAND_NAME in html and settings.BRAND_PRIMARY_COLOR in html and f'href="{link}"' in html


def test_no_unsubscribe_header_without_a_link(smtp_server, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
    [mail] = smtp_server.messages
    assert mail["List-Unsubscribe"] is None and mail["Reply-To"] is None


def test_an_unconfirmed_address_gets_nothing_but_the_confirmation(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        blocked = send()
        confirmation = address_confirmation_send(address=RILEY, reason="You wrote to support.")
        again = address_confirmation_send(address=RILEY, reason="You wrote to support.")
    assert status(blocked) == OutgoingMessage.Status.BLOCKED and blocked.detail == "the address is not confirmed"
    assert status(confirmation) == OutgoingMessage.Status.SENT and again is None  # one an hour, not one per ask
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Please confirm your e-mail address"
    assert "This is a confirmation e-mail" in mail.get_body(("plain",)).get_content()
    assert not can_mail(RILEY, kind="test")


def test_a_suppressed_address_gets_nothing_even_a_confirmation(smtp_server, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    address_suppress(address=RILEY, reason=EmailAddress.Suppression.BOUNCE, detail="5.1.1 user unknown")
    with django_capture_on_commit_callbacks(execute=True):
        blocked = send()
        address_suppress(address="someone@example.com", reason=EmailAddress.Suppression.COMPLAINT)
        refused = address_confirmation_send(address="someone@example.com", reason="x")
    assert status(blocked) == OutgoingMessage.Status.BLOCKED and "bounced" in blocked.detail
    assert status(refused) == OutgoingMessage.Status.BLOCKED and "complained" in refused.detail
    assert smtp_server.messages == []


def test_unsubscribing_stops_that_kind_only(smtp_server, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    address_unsubscribe(address=RILEY, kind="test")
    with django_capture_on_commit_callbacks(execute=True):
        stopped = send()
        other = send(kind="contact_reply")
    assert status(stopped) == OutgoingMessage.Status.BLOCKED and status(other) == OutgoingMessage.Status.SENT
    assert len(smtp_server.messages) == 1


def test_outgoing_mail_is_limited_per_recipient(smtp_server, django_capture_on_commit_callbacks, settings):
    settings.MAIL_RATE_PER_RECIPIENT = "2/hour"
    address_confirm(address=RILEY)
    address_confirm(address="morgan@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        messages = [send() for _ in range(3)] + [send(to="morgan@example.com")]
    assert [status(m) for m in messages] == ["sent", "sent", "rate_limited", "sent"]
    assert len(smtp_server.messages) == 3


def test_a_recipient_refused_for_good_fails_and_is_suppressed(smtp_server, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    smtp_server.refuse[RILEY] = "550 5.1.1 <riley@example.com>: Recipient address rejected: User unknown"
    with django_capture_on_commit_callbacks(execute=True):
        message = send()
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.FAILED and "User unknown" in message.detail
    assert EmailAddress.objects.get(address=RILEY).suppressed_reason == EmailAddress.Suppression.BOUNCE
    assert smtp_server.messages == []


def test_a_server_that_cannot_be_reached_is_retried_then_given_up(settings, django_capture_on_commit_callbacks,
                                                                   monkeypatch):
    from config.celery import app

    # Eager tasks run retries at once (no countdown) only when they do not propagate errors.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.MAIL_SEND_RETRIES, settings.MAIL_RETRY_DELAY, settings.MAIL_SEND_MAX_ATTEMPTS = 2, 1, 3
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        message = send()
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.FAILED and message.attempts == 3
    assert "gave up after 3 attempts" in message.detail and "refused" in message.detail.lower()


def test_not_an_address_is_refused_with_a_clear_error():
    from core.errors import ServiceError

    with pytest.raises(ServiceError, match="is not an e-mail address"):
        send(to="riley at example")
    assert not OutgoingMessage.objects.exists()
