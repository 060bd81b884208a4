"""Notification mails through the mail layer to a real SMTP server on loopback: instant mails,
digests (one per user), one-click unsubscribe, and nothing to an unconfirmed address."""
from __future__ import annotations

import pytest
from django.urls import reverse

from mail.services import address_confirm
from notifications.events import DAILY, INSTANT, WEEKLY
from notifications.models import Notification, Preference
from notifications.services import digest_send, follow_create, preference_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(alice, carol):
    for user in (alice, carol):
        address_confirm(address=user.email)


def answer(author, thread, on_commit, body="Move the Beacon halfway between the H1 and the dead spot."):
    from community.services import answer_create

    with on_commit():
        return answer_create(author=author, thread=thread, body=body)


def test_an_instant_mail_has_both_bodies_the_link_and_a_one_click_unsubscribe(
        smtp_server, confirmed, alice, bob, asked, on_commit, client_for):
    preference_set(user=alice, event="answer_new", email=INSTANT)
    post = answer(bob, asked, on_commit)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "alice@example.com"
    assert str(mail["Subject"]).strip() == f"bob answered “{asked.title}”"
    link = f"http://localhost:8000/questions/{asked.pk}/#post-{post.pk}"
    assert link in mail.get_body(("plain",)).get_content()
    assert f'href="{link}"' in mail.get_body(("html",)).get_content()
    unsubscribe = "".join(str(mail["List-Unsubscribe"]).split()).strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith("http://localhost:8000/mail/unsubscribe/")  # the one unsubscribe page
    # The mail client's one-click POST, with no session and no CSRF token.
    response = client_for(None, enforce_csrf_checks=True).post(unsubscribe.removeprefix("http://localhost:8000"),
                                                               {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "e-mails about “A new answer to a question you follow” to <strong>alice@example.com</strong>" in (
        response.content.decode())
    assert Preference.objects.get(user=alice, event="answer_new").email == "off"
    assert Notification.objects.get(user=alice).emailed_at is not None


def test_each_notification_is_mailed_once(smtp_server, confirmed, alice, bob, asked, on_commit):
    from notifications.services import notifications_email_send

    preference_set(user=alice, event="answer_new", email=INSTANT)
    answer(bob, asked, on_commit)
    smtp_server.wait_for(1)
    assert notifications_email_send(notification_ids=list(Notification.objects.values_list("pk", flat=True))) == 0
    assert len(smtp_server.messages) == 1


def test_an_unconfirmed_address_gets_the_confirmation_mail_instead(smtp_server, alice, bob, asked, on_commit):
    preference_set(user=alice, event="answer_new", email=INSTANT)
    answer(bob, asked, on_commit)
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Please confirm your e-mail address"
    assert "/mail/confirm/" in mail.get_body(("plain",)).get_content()
    # What was due stays in the inbox.
    assert Notification.objects.get(user=alice).shown_at is not None


def test_the_daily_digest_is_one_mail_per_user_with_everything_due(smtp_server, confirmed, alice, bob, carol,
                                                                    asked, on_commit):
    from community.services import comment_create

    follow_create(user=carol, target=asked)
    preference_set(user=alice, event="comment_new", email=DAILY)
    preference_set(user=carol, event="answer_new", inbox=DAILY)
    answer(bob, asked, on_commit)
    with on_commit():
        comment_create(author=bob, post=asked.question, body="Which firmware is on the H1?")
    assert not smtp_server.messages  # answer_new and comment_new (as chosen) mail daily
    held = Notification.objects.get(user=carol, event="answer_new")
    assert held.shown_at is None  # her inbox gets it with the digest

    with on_commit():  # the mails leave once the digest's transaction commits
        assert digest_send(period="daily") == 2
    mails = smtp_server.wait_for(2)
    [to_alice] = smtp_server.to("alice@example.com")
    assert len(mails) == 2
    assert str(to_alice["Subject"]).strip() == "Your daily digest from Hearthlink Help: 2 updates"
    text = to_alice.get_body(("plain",)).get_content()
    assert f"bob answered “{asked.title}”" in text and f"bob commented on the question in “{asked.title}”" in text
    assert "A new answer to a question you follow" in text and "A comment on a question you follow" in text
    assert to_alice["List-Unsubscribe"]
    held.refresh_from_db()
    assert held.shown_at is not None
    # Sent once: the next run finds nothing due; the weekly one has nothing either.
    assert digest_send(period="daily") == 0
    assert digest_send(period="weekly") == 0


def test_a_digest_unsubscribe_turns_off_every_event_it_listed(smtp_server, confirmed, alice, bob, asked, on_commit,
                                                             client_for):
    from community.services import comment_create

    preference_set(user=alice, event="comment_new", email=WEEKLY)
    preference_set(user=alice, event="answer_new", email=WEEKLY)
    answer(bob, asked, on_commit)
    with on_commit():
        comment_create(author=bob, post=asked.question, body="Which firmware is on the H1?")
    with on_commit():
        digest_send(period="weekly")
    [mail] = smtp_server.wait_for(1)
    path = "".join(str(mail["List-Unsubscribe"]).split()).strip("<>").removeprefix("http://localhost:8000")
    client_for(None).post(path)
    assert dict(Preference.objects.filter(user=alice).values_list("event", "email")) == {
        "answer_new": "off", "comment_new": "off"}


def test_a_bad_digest_period_is_refused():
    with pytest.raises(ValueError):
        digest_send(period="hourly")


def test_a_link_in_a_mail_sent_before_the_one_page_still_opens_it(smtp_server, confirmed, client_for, alice):
    from notifications.signing import unsubscribe_token

    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user=alice, events=["answer_new"])])
    page = client_for(None).get(path, follow=True)
    assert page.redirect_chain[0][0].startswith("/mail/unsubscribe/")
    assert "Stop these e-mails?" in page.content.decode()
    assert "e-mails about “A new answer to a question you follow”" in page.content.decode()


def test_editors_are_mailed_a_flag_at_once_saying_why_they_get_it(smtp_server, agent, editor, article, on_commit):
    from kb.services import article_flag_get_or_create

    address_confirm(address=editor.email)
    with on_commit():
        article_flag_get_or_create(agent=agent, article=article, kind="wrong", note="Step 3 is for the H2.")
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "edith@example.com"
    text = mail.get_body(("plain",)).get_content()
    assert f"http://localhost:8000/kb/articles/{article.pk}/edit/" in text
    assert "You get this because you edit the knowledge base" in text
