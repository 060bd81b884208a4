"""The whole notification path on a real Celery worker (Redis): a member answers → notification rows
→ an instant e-mail captured by a real SMTP server on loopback → the daily digest includes it too.

The worker is another process; it mails the session's loopback SMTP server (``smtp_capture``,
see ``tests/integration/conftest.py``), which ``smtp_server`` empties for this test.
"""
from __future__ import annotations

import pytest

from community.services import answer_create, question_create
from mail.services import address_confirm
from notifications.models import Notification
from notifications.services import follow_create, preference_set
from notifications.tasks import digest_daily
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_answer_reaches_the_inbox_the_mailbox_and_the_digest(celery_worker, smtp_server, alice, bob, make_user,
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
    [mail] = smtp_server.wait_for(1, timeout=30)
    assert mail["To"] == "alice@example.com"
    assert f"/questions/{thread.pk}/#post-{post.pk}" in mail.get_body(("plain",)).get_content()
    assert mail["List-Unsubscribe"]

    digest_daily.delay()
    smtp_server.wait_for(2, timeout=30)
    [digest] = smtp_server.to("carol@example.com")
    assert "daily digest" in str(digest["Subject"])
    assert f"bob answered “{thread.title}”" in digest.get_body(("plain",)).get_content()
    assert Notification.objects.get(user=carol, key=f"post:{post.pk}").emailed_at is not None
