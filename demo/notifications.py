"""Demo step: news in every demo account's inbox, made by the normal services.

Runs after the help center step (articles are published by then). The demo accounts'
addresses are confirmed, so their notification mails print on the console backend
(the embedded demo's ``EMAIL_URL``). The team-written story in
``fixtures/demo/notifications/story.json``: Morgan asks (Casey follows), Avery answers,
Emery comments, Morgan accepts; Casey writes to support and Avery replies; Avery flags a
published article that Morgan follows, and Emery reviews it. Idempotent: it runs once
(keyed by Morgan's question title).
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count

from community.models import Tag, Thread
from community.services import answer_accept, answer_create, comment_create, question_create
from kb.models import Article
from kb.services import article_flag_get_or_create, article_mark_reviewed
from mail.services import address_confirm
from notifications.models import Notification
from notifications.services import follow_create
from support.services import contact_create, message_append

STORY = Path(settings.BASE_DIR) / "fixtures" / "demo" / "notifications" / "story.json"
DEMO_ACCOUNTS = ("casey", "morgan", "avery", "emery", "admin")


def demo_notifications_story(*, path: Path = STORY) -> bool:
    """Play the story once; False when it was played before (or the demo accounts are missing)."""
    story = json.loads(path.read_text(encoding="utf-8"))
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_ACCOUNTS)}
    if len(users) < len(DEMO_ACCOUNTS):
        return False
    q = story["question"]
    if Thread.objects.filter(title=q["title"], author=users[q["author"]]).exists():
        return False
    for user in users.values():
        address_confirm(address=user.email)
    follow_create(user=users[story["follow_topic"]["user"]], target=Tag.objects.get(name=story["follow_topic"]["tag"]))

    thread = question_create(author=users[q["author"]], title=q["title"], body=q["body"], tags=q["tags"])
    for name in q["followers"]:
        follow_create(user=users[name], target=thread)
    post = answer_create(author=users[story["answer"]["author"]], thread=thread, body=story["answer"]["body"])
    comment_create(author=users[story["comment"]["author"]], post=post, body=story["comment"]["body"])
    answer_accept(user=users[q["author"]], post=post)

    c = story["contact"]
    contact = contact_create(channel="web_form", subject=c["subject"], body=c["body"], opened_by=users[c["customer"]])
    message_append(contact=contact, sender="agent", author=users[c["agent"]], body=c["reply"])

    f = story["flag"]
    # The article the note is about (its menu path), never whichever happens to be first: a flag whose
    # note does not fit its article would teach editors to ignore flags.
    article = Article.objects.filter(title=f["article"], status=Article.Status.PUBLISHED,
                                     visibility=Article.Visibility.PUBLIC, needs_review=False).first()
    if article is not None:
        follow_create(user=users[f["follower"]], target=article)
        article_flag_get_or_create(agent=users[f["agent"]], article=article, kind=f["kind"], note=f["note"])
        article.refresh_from_db()
        article_mark_reviewed(editor=users[f["reviewer"]], article=article,
                              note="checked the menu path against firmware 3.5")
    return True


def demo_notifications(stdout) -> None:
    """Demo step: play the story, then one summary line of the demo accounts' unread notifications."""
    played = demo_notifications_story()
    counts = dict(Notification.objects.filter(user__username__in=DEMO_ACCOUNTS, shown_at__isnull=False,
                                              read_at__isnull=True)
                  .values_list("user__username").annotate(n=Count("pk")))
    summary = ", ".join(f"{name} {counts.get(name, 0)}" for name in DEMO_ACCOUNTS)
    stdout.write(f"Demo accounts' unread notifications: {summary}{'' if played else ' (story played before)'}")
