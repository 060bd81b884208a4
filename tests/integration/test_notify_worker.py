"""The whole notification path on a real Celery worker (Redis): a member answers → notification rows
→ an instant e-mail captured by a real SMTP server on loopback → the daily digest includes it too.

The worker is another process: it sends mail to the SMTP server named by ``EMAIL_URL``, which
this module sets before any worker starts (the worker inherits ``os.environ``), on a port it
then listens on itself.
"""
from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from community.services import answer_create, question_create
from mail.services import address_confirm
from notifications.models import Notification
from notifications.services import follow_create, preference_set
from notifications.tasks import digest_daily
from tests.conftest import CapturedMail
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


os.environ.setdefault("EMAIL_URL", f"smtp://127.0.0.1:{_free_port()}")


@pytest.fixture
def worker_smtp():
    """A loopback SMTP server where the worker's ``EMAIL_URL`` points."""
    import logging

    from aiosmtpd.controller import Controller

    address = urlsplit(os.environ["EMAIL_URL"])
    if address.scheme != "smtp" or address.hostname != "127.0.0.1":
        pytest.skip(f"EMAIL_URL={os.environ['EMAIL_URL']} is not a loopback SMTP server this test can start")
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    captured = CapturedMail("127.0.0.1", address.port)
    controller = Controller(captured, hostname="127.0.0.1", port=address.port)
    controller.start()
    try:
        yield captured
    finally:
        controller.stop()


def test_an_answer_reaches_the_inbox_the_mailbox_and_the_digest(celery_worker, worker_smtp, alice, bob, make_user,
                                                                tags):
    carol = make_user("carol")
    thread = question_create(author=alice, title="Beacon keeps dropping off the mesh every evening",
                             body="Around 8 pm the Beacon ring turns amber and devices upstairs go offline.",
                             tags=["mesh", "beacon"])
    for user in (alice, carol):
        address_confirm(address=user.email)
    preference_set(user=alice, event="answer_new", email="instant")
    follow_create(user=carol, target=thread)  # carol keeps the default: answers by daily digest

    post = answer_create(author=bob, thread=thread, body="Move the Beacon halfway between the H1 and the dead spot.")

    rows = wait_for(lambda: list(Notification.objects.filter(key=f"post:{post.pk}").order_by("user__username")))
    assert [(n.user.username, n.email) for n in rows] == [("alice", "instant"), ("carol", "daily")]
    [mail] = worker_smtp.wait_for(1, timeout=30)
    assert mail["To"] == "alice@example.com"
    assert f"/questions/{thread.pk}/#post-{post.pk}" in mail.get_body(("plain",)).get_content()
    assert mail["List-Unsubscribe"]

    digest_daily.delay()
    worker_smtp.wait_for(2, timeout=30)
    [digest] = worker_smtp.to("carol@example.com")
    assert "daily digest" in str(digest["Subject"])
    assert f"bob answered “{thread.title}”" in digest.get_body(("plain",)).get_content()
    assert Notification.objects.get(user=carol, key=f"post:{post.pk}").emailed_at is not None
