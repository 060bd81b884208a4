"""The beat sweep: mail the server would not take for a while, or that the per-recipient limit held
back, goes out later instead of staying stuck, up to a cap, and never twice."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from mail.models import OutgoingMessage
from mail.selectors import messages_due
from mail.services import address_confirm, address_unsubscribe, message_retry, message_send, messages_retry_due

pytestmark = pytest.mark.django_db

RILEY = "riley@example.com"


def send(**overrides):
    arguments = dict(to=RILEY, subject="Your answer", template="mail/email/confirm",
                     context={"address": RILEY, "reason": "You asked.", "confirm_url": "http://x/"}, kind="test")
    return message_send(**{**arguments, **overrides})


@pytest.fixture
def server_down(settings, smtp_server, monkeypatch):
    """The mail server cannot be reached until ``up()``; the send task gives up its retries at once."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)  # eager retries run at once without this
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = dead, 2
    settings.MAIL_SEND_RETRIES, settings.MAIL_RETRY_DELAY, settings.MAIL_RETRY_LATER = 1, 1, 3600

    class Switch:
        @staticmethod
        def up():
            settings.EMAIL_PORT = smtp_server.port

    return Switch


def later(**delta):
    return timezone.now() + timedelta(**delta)


def test_a_mail_the_server_would_not_take_goes_out_when_the_sweep_finds_it_due(
        server_down, smtp_server, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        message = send()
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.DEFERRED and message.attempts == 2
    assert message.next_attempt_at > later(minutes=59) and "2 attempts so far" in message.detail
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due() == 0  # not due yet
    server_down.up()
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=1, minutes=1)) == 1
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SENT and message.attempts == 3 and message.next_attempt_at is None
    [mail] = smtp_server.messages
    assert mail["Message-ID"] == message.message_id
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(days=2)) == 0
    assert len(smtp_server.messages) == 1


def test_after_the_cap_the_mail_fails_for_good_and_staff_see_why(
        server_down, smtp_server, django_capture_on_commit_callbacks, settings, client, admin_user):
    settings.MAIL_SEND_RETRIES, settings.MAIL_SEND_MAX_ATTEMPTS = 0, 3
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        message = send()
    for hours in (2, 4):
        with django_capture_on_commit_callbacks(execute=True):
            assert messages_retry_due(now=later(hours=hours)) == 1
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.FAILED and message.attempts == 3
    assert message.next_attempt_at is None
    assert message.detail.startswith("gave up after 3 attempts: ConnectionRefusedError")
    server_down.up()
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(days=30)) == 0
    assert smtp_server.messages == []
    client.force_login(admin_user)
    page = client.get("/admin/mail/outgoingmessage/?status__exact=failed").content.decode()
    assert "gave up after 3 attempts" in page and RILEY in page
    waiting = client.get("/admin/mail/outgoingmessage/?status__exact=deferred").content.decode()
    assert "Not sent yet: the mail server failed, will try again" in waiting and "gave up after" not in waiting


def test_mail_held_by_the_rate_limit_goes_out_once_the_window_has_passed(
        smtp_server, django_capture_on_commit_callbacks, settings):
    settings.MAIL_RATE_PER_RECIPIENT = "2/hour"
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        messages = [send(subject=f"Update {n}") for n in range(3)]
    held = messages[2]
    assert held.status == OutgoingMessage.Status.RATE_LIMITED and held.next_attempt_at > later(minutes=59)
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=1, minutes=1)) == 0  # the window is still full
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.RATE_LIMITED and held.attempts == 1
    assert held.next_attempt_at > later(minutes=59) and len(smtp_server.messages) == 2  # held one more window
    cache.delete(f"mail:to:{RILEY}")  # the hour has passed: the window closes
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=2, minutes=2)) == 1
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.SENT
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Update 0", "Update 1", "Update 2"]


def test_a_held_mail_to_an_address_that_unsubscribed_since_is_not_sent(
        smtp_server, django_capture_on_commit_callbacks, settings):
    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
        held = send(subject="Later")
    address_unsubscribe(address=RILEY, kind="test")
    cache.delete(f"mail:to:{RILEY}")
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=2)) == 0
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.BLOCKED and "unsubscribed" in held.detail
    assert len(smtp_server.messages) == 1


def test_two_sweeps_at_once_send_a_message_once(smtp_server, django_capture_on_commit_callbacks, settings):
    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
        send(subject="Held")
    cache.delete(f"mail:to:{RILEY}")
    first = list(messages_due(now=later(hours=2)))  # what a second sweep read before the first one ran
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=2)) == 1
        assert [message_retry(message=message) for message in first] == [False]
    assert [m["Subject"] for m in smtp_server.messages] == ["Your answer", "Held"]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_on_postgresql_send_a_message_once(smtp_server, settings):
    """Two sweeps in two connections read the same due message, then both try to claim it at the
    same moment: PostgreSQL makes the second UPDATE wait for the first and then match nothing."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a race between two connections needs PostgreSQL (DATABASE_URL=postgres://…)")
    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address=RILEY)
    send()
    held = send(subject="Held")
    cache.delete(f"mail:to:{RILEY}")
    both_read = threading.Barrier(2)
    claimed = []

    def sweep():
        try:
            [due] = list(messages_due(now=later(hours=2)))
            both_read.wait(timeout=10)
            claimed.append(message_retry(message=due))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == [False, True]
    smtp_server.wait_for(2)
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.SENT
    assert [m["Subject"] for m in smtp_server.messages] == ["Your answer", "Held"]


def test_beat_runs_the_sweep_task(smtp_server, django_capture_on_commit_callbacks, settings):
    from config.celery import app
    from mail.tasks import sweep

    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "mail.tasks.sweep"]
    assert entry["schedule"] == settings.MAIL_SWEEP_INTERVAL and "mail.tasks.sweep" in app.tasks
    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
        held = send(subject="Held")
    cache.delete(f"mail:to:{RILEY}")
    OutgoingMessage.objects.filter(pk=held.pk).update(next_attempt_at=later(minutes=-1))  # its hour has passed
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.delay().get() == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Your answer", "Held"]


def test_mail_the_rate_limit_holds_at_every_sweep_fails_for_good_at_the_cap(
        smtp_server, django_capture_on_commit_callbacks, settings):
    settings.MAIL_RATE_PER_RECIPIENT, settings.MAIL_SEND_MAX_ATTEMPTS = "1/hour", 2
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
        held = send(subject="Held")
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=2)) == 0
        held.refresh_from_db()
        assert held.status == OutgoingMessage.Status.RATE_LIMITED and held.attempts == 1
        assert messages_retry_due(now=later(hours=4)) == 0
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.FAILED and held.attempts == 2 and held.next_attempt_at is None
    assert held.detail == "gave up after 2 attempts: more than 1/hour mails to this address"
    assert messages_retry_due(now=later(days=2)) == 0
    assert [m["Subject"] for m in smtp_server.messages] == ["Your answer"]


def test_a_held_mail_whose_address_was_deleted_since_is_blocked_not_sent(
        smtp_server, django_capture_on_commit_callbacks, settings):
    from mail.models import EmailAddress

    settings.MAIL_RATE_PER_RECIPIENT = "1/hour"
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        send()
        held = send(subject="Later")
    EmailAddress.objects.filter(address=RILEY).delete()
    cache.delete(f"mail:to:{RILEY}")
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_retry_due(now=later(hours=2)) == 0
    held.refresh_from_db()
    assert held.status == OutgoingMessage.Status.BLOCKED and held.detail == "the address is not confirmed"
    assert held.next_attempt_at is None and len(smtp_server.messages) == 1
