"""The demo's steps: contacts opened once and linked to the demo accounts, the clustering step's report."""
from __future__ import annotations

from io import StringIO

import pytest

from demo.community import demo_users_create
from demo.kb import demo_cluster
from demo.support import demo_contacts_open
from support.models import Contact

pytestmark = pytest.mark.django_db


def test_demo_contacts_open_once_and_link_demo_accounts():
    demo_users_create()

    assert demo_contacts_open() == 5
    assert demo_contacts_open() == 0  # a second demo run adds nothing

    assert Contact.objects.count() == 5
    firmware = Contact.objects.get(subject__startswith="Firmware update stuck")
    assert firmware.customer.username == "casey"
    assert firmware.search_terms == ["firmware update stuck", "orange light"]
    chat = Contact.objects.get(channel=Contact.Channel.CHAT)
    assert [m.sender for m in chat.messages.all()] == ["customer", "agent", "customer"]
    assert chat.messages.get(sender="agent").author.username == "avery"
    assert Contact.objects.get(channel=Contact.Channel.VOICE).customer is None


def test_demo_cluster_step_prints_the_top_of_the_queue(small_corpus, embedder):
    out = StringIO()
    demo_cluster(out)

    text = out.getvalue()
    assert "5 threads → 2 clusters (2 new, 0 joined, 2 drafts written)" in text
    assert "[ 3 threads, 1 source]" in text


def test_demo_notifications_give_every_demo_account_news_and_print_mails(settings, django_capture_on_commit_callbacks):
    from django.core import mail

    from community.models import Tag
    from demo.notifications import demo_notifications, demo_notifications_story
    from kb.models import Article
    from notifications.models import Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEARCH_AUTO_INDEX = False
    demo_users_create()
    for name in ("beacon-plus", "firmware-3-5"):
        Tag.objects.create(name=name)
    Article.objects.create(title="Change the Wi-Fi channel", slug="wifi-channel", status="published",
                           solution="Open Wi-Fi > Channel.", views=50)
    guest = Article.objects.create(title="How do I set up a guest network?", slug="guest-network", status="published",
                                   solution="In the Hearthlink app: Settings > Guest Wi-Fi, toggle it on.")
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_notifications_story()
    assert not demo_notifications_story()  # a second demo run adds nothing

    unread = {name: Notification.objects.filter(user__username=name, shown_at__isnull=False).count()
              for name in ("casey", "morgan", "avery", "emery")}
    assert all(unread.values()), unread
    assert set(Notification.objects.filter(user__username="morgan").values_list("event", flat=True)) >= {
        "answer_new", "comment_new", "article_updated"}
    assert Notification.objects.filter(user__username="casey", event="contact_reply").exists()
    assert Notification.objects.filter(user__username="emery", event="article_flagged").exists()
    # The flag is on the article its note is about, even when another one is read more.
    flag = guest.flags.get()
    assert "Settings > Guest Wi-Fi" in flag.note and "Settings > Guest Wi-Fi" in guest.solution
    # Instant mails (the editors' flag) go out through the mail layer to the confirmed demo address.
    assert any(m.to == ["emery@hearthlink.example"] and "flagged" in m.subject for m in mail.outbox)
    out = StringIO()
    demo_notifications(out)
    assert "unread notifications: casey" in out.getvalue()
