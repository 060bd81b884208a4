"""The inbox, the header's unread count, mark read, follow buttons, preferences and unsubscribe links."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import Follow, Notification, Preference
from notifications.services import follow_create
from notifications.signing import unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(alice, bob, asked, on_commit):
    from community.services import answer_create

    with on_commit():
        return answer_create(author=bob, thread=asked, body="Move the Beacon halfway between the H1 and the dead spot.")


def unread_badge(html: str) -> str | None:
    found = re.search(r'<span class="unread-count"[^>]*>(\d+)</span>', html)
    return found.group(1) if found else None


def test_the_header_counts_unread_notifications(client_for, alice, answered):
    page = client_for(alice).get("/questions/").content.decode()
    assert unread_badge(page) == "1"
    assert 'href="/notifications/"' in page


def test_the_header_shows_no_count_when_all_is_read(client_for, bob, answered):
    page = client_for(bob).get("/questions/").content.decode()
    assert 'href="/notifications/"' in page and unread_badge(page) is None


def test_the_inbox_lists_notifications_linking_to_the_answer(client_for, alice, asked, answered):
    client = client_for(alice)
    page = client.get("/notifications/").content.decode()
    note = Notification.objects.get(user=alice)
    assert f"bob answered “{asked.title}”" in page
    assert f'href="/notifications/{note.pk}/"' in page
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/questions/{asked.pk}/#post-{answered.pk}"
    note.refresh_from_db()
    assert note.read_at is not None
    assert unread_badge(client.get("/questions/").content.decode()) is None


def test_mark_one_and_mark_all_read(client_for, alice, carol, bob, asked, answered, on_commit):
    from community.services import comment_create

    with on_commit():
        comment_create(author=bob, post=asked.question, body="Which firmware is on the H1?")
    client = client_for(alice)
    first, second = Notification.objects.filter(user=alice).order_by("id")
    client.post(f"/notifications/{first.pk}/read/")
    assert Notification.objects.filter(user=alice, read_at__isnull=True).count() == 1
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(user=alice, read_at__isnull=True).count() == 0
    # Someone else's notification is not there for you.
    assert client_for(carol).post(f"/notifications/{second.pk}/read/").status_code == 404
    assert client_for(carol).get(f"/notifications/{second.pk}/").status_code == 404


def test_the_inbox_needs_an_account(client_for):
    response = client_for(None).get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_follow_and_unfollow_from_the_question_page(client_for, carol, asked):
    client = client_for(carol)
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Follow this question" in page
    client.post("/notifications/follow/", {"kind": "question", "target": asked.pk, "next": asked.get_absolute_url()})
    assert Follow.objects.filter(user=carol, thread=asked).exists()
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Following this question · Unfollow" in page
    client.post("/notifications/unfollow/", {"kind": "question", "target": asked.pk})
    assert not Follow.objects.filter(user=carol, thread=asked).exists()


def test_anonymous_visitors_see_no_follow_button(client_for, asked):
    assert "Follow this question" not in client_for(None).get(asked.get_absolute_url()).content.decode()


def test_nobody_follows_what_they_cannot_see(client_for, carol, alice, editor, asked):
    from community.services import post_hide
    from kb.models import Article
    from support.services import contact_create

    internal = Article.objects.create(title="Internal notes", slug="internal-notes", status="published",
                                      visibility="internal", solution="x")
    contact = contact_create(channel="web_form", subject="Mine", body="Help me please.", opened_by=alice)
    client = client_for(carol)
    assert client.post("/notifications/follow/", {"kind": "article", "target": internal.pk}).status_code == 404
    assert client.post("/notifications/follow/", {"kind": "contact", "target": contact.pk}).status_code == 404
    post_hide(moderator=editor, post=asked.question)
    assert client.post("/notifications/follow/", {"kind": "question", "target": asked.pk}).status_code == 404
    assert not Follow.objects.filter(user=carol).exists()


def test_follow_buttons_on_articles_tags_and_contacts(client_for, alice, tags):
    from kb.models import Article
    from support.services import contact_create

    Article.objects.create(title="Guest Wi-Fi", slug="guest-wifi", status="published", solution="Settings.")
    contact = contact_create(channel="web_form", subject="Mine", body="Help me please.", opened_by=alice)
    client = client_for(alice)
    assert "Follow this article" in client.get("/kb/guest-wifi/").content.decode()
    assert "Follow this topic" in client.get("/tags/mesh/").content.decode()
    # Her own request: followed when she opened it.
    assert "Following this request · Unfollow" in client.get(f"/help/me/contacts/{contact.pk}/").content.decode()


def test_the_inbox_and_preferences_list_follows_with_undo(client_for, alice, asked):
    from community.models import Tag

    firmware, _ = Tag.objects.update_or_create(name="firmware", defaults={"topic": "Firmware updates"})
    follow_create(user=alice, target=firmware)
    client = client_for(alice)
    for url in ("/notifications/", "/notifications/preferences/"):
        page = client.get(url).content.decode()
        assert asked.title in page and "(you asked it)" in page and ">Unfollow</button>" in page
        # A followed tag goes by its help-center topic's name, as on the help center.
        assert 'Topic: <a href="/tags/firmware/">Firmware updates</a>' in page


def test_preferences_page_saves_each_event_for_inbox_and_email(client_for, alice):
    client = client_for(alice)
    page = client.get("/notifications/preferences/").content.decode()
    assert "A new answer to a question you follow" in page
    assert "An agent flagged an article" not in page  # editors' events only for editors
    data = {}
    for name, value in re.findall(r'<select name="([a-z_]+__(?:inbox|email))"[^>]*>.*?<option value="(\w+)"[^>]*selected',
                                  page, flags=re.S):
        data[name] = value
    assert data["answer_new__inbox"] == "instant" and data["answer_new__email"] == "daily"
    data["answer_new__email"] = "off"
    data["comment_new__inbox"] = "weekly"
    response = client.post("/notifications/preferences/", data)
    assert response.status_code == 302
    assert Preference.objects.get(user=alice, event="answer_new").email == "off"
    assert Preference.objects.get(user=alice, event="comment_new").inbox == "weekly"


def test_preferences_refuse_an_unknown_delivery_and_keep_the_rest(client_for, alice):
    client = client_for(alice)
    response = client.post("/notifications/preferences/", {"answer_new__inbox": "hourly"})
    assert response.status_code == 400
    assert not Preference.objects.filter(user=alice).exists()


def test_editors_choose_their_own_events(client_for, editor):
    page = client_for(editor).get("/notifications/preferences/").content.decode()
    assert "An agent flagged an article as wrong or outdated" in page


def test_one_click_unsubscribe_needs_no_sign_in(client_for, alice):
    """An old link (``/notifications/unsubscribe/…``, in mails sent before the one page) still works."""
    token = unsubscribe_token(user=alice, events=["answer_new", "comment_new"])
    anonymous = client_for(None, enforce_csrf_checks=True)
    opened = anonymous.get(reverse("notifications:unsubscribe", args=[token]), follow=True)
    page = opened.content.decode()
    assert "A new answer to a question you follow" in page and not Preference.objects.exists()
    assert opened.redirect_chain[-1][0].startswith("/mail/unsubscribe/") and "Stop these e-mails?" in page
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", with no CSRF token.
    response = anonymous.post(reverse("notifications:unsubscribe", args=[token]),
                              {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert dict(Preference.objects.filter(user=alice).values_list("event", "email")) == {
        "answer_new": "off", "comment_new": "off"}


def test_a_forged_unsubscribe_link_is_refused(client_for, alice):
    token = unsubscribe_token(user=alice, events=["answer_new"])
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client_for(None).post(reverse("notifications:unsubscribe", args=[forged]))
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert not Preference.objects.exists()


def test_follow_undo_from_the_inbox(client_for, carol, asked):
    follow_create(user=carol, target=asked)
    client = client_for(carol)
    client.post("/notifications/unfollow/", {"kind": "question", "target": asked.pk, "next": "/notifications/"})
    assert not Follow.objects.filter(user=carol).exists()


def test_harvested_threads_offer_no_follow(client_for, carol):
    from community.models import Post, Source, Thread

    source = Source.objects.create(name="Old board", slug="old-board", kind="html")
    thread = Thread.objects.create(source=source, title="Harvested question about the H1", license="CC BY-SA 4.0")
    Post.objects.create(thread=thread, is_question=True, body="A harvested question body text.")
    client = client_for(carol)
    assert "Follow this question" not in client.get(thread.get_absolute_url()).content.decode()
    assert client.post("/notifications/follow/", {"kind": "question", "target": thread.pk}).status_code == 404


def test_the_one_unsubscribe_page_turns_off_a_notification_mail_and_undo_puts_back_the_choice(client_for, alice):
    from mail.tokens import unsubscribe_url
    from notifications.services import preference_set

    preference_set(user=alice, event="answer_new", email="instant")  # not the default (daily)
    preference_set(user=alice, event="comment_new", email="weekly")
    link = unsubscribe_url(address=alice.email, kind="notification.digest.weekly",
                           data={"u": alice.pk, "e": ["answer_new", "comment_new"]})
    browser = client_for(None, enforce_csrf_checks=True)
    page = browser.post(link.removeprefix("http://localhost:8000"), {"List-Unsubscribe": "One-Click"})
    html = page.content.decode()
    assert page.status_code == 200 and "You are unsubscribed" in html
    assert "<li>e-mails about “A new answer to a question you follow”</li>" in html
    assert "<li>e-mails about “A comment on a question you follow”</li>" in html
    assert 'href="/notifications/preferences/"' in html
    assert dict(Preference.objects.filter(user=alice).values_list("event", "email")) == {
        "answer_new": "off", "comment_new": "off"}
    form = re.search(r'<form method="post" action="([^"]+/undo/)">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    undone = browser.post(form.group(1), fields)
    assert undone.status_code == 200 and "You are subscribed again" in undone.content.decode()
    assert dict(Preference.objects.filter(user=alice).values_list("event", "email")) == {
        "answer_new": "instant", "comment_new": "weekly"}


def test_a_link_for_a_closed_account_does_not_work(client_for, alice):
    from mail.tokens import unsubscribe_url

    link = unsubscribe_url(address=alice.email, kind="notification.answer_new", data={"u": alice.pk, "e": ["answer_new"]})
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = client_for(None).post(link.removeprefix("http://localhost:8000"))
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert not Preference.objects.exists()
