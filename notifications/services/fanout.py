"""Fan-out: one event becomes ``Notification`` rows for everyone who should hear of it.

Runs in a Celery task (``notifications.tasks.event_fanout``), never in the request that
caused the event. Each ``_event`` function below loads the object again (it may have
changed since), decides the recipients with the same visibility rules as the pages, and
returns ``Fanout``; ``notifications_create`` writes the rows in batches. The actor never
hears of their own action, and nobody hears of a post that is held or hidden, or of an
article they cannot read.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from community.models import Comment, Post, Thread
from core.queueing import delay_on_commit
from kb.models import Article, ArticleFlag, ArticleSource
from notifications.events import INSTANT, OFF
from notifications.models import Notification
from notifications.selectors import deliveries_for, follower_ids, user_ids_with_perm
from support.models import Contact, ContactMessage

BATCH_SIZE = 1000
TEXT_MAX = 500


@dataclass
class Fanout:
    event: str
    user_ids: set[int]
    text: str
    url: str
    key: str


def _quote(title: str) -> str:
    title = " ".join(title.split())
    return f"“{title if len(title) <= 90 else title[:89] + '…'}”"


def _name(user_id: int | None) -> str:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return user.public_name if user else ""


def _visible_post(post_id: int) -> Post | None:
    return Post.objects.visible().in_visible_threads().select_related("thread").filter(pk=post_id).first()


def _answer_new(post_id: int, actor: str, **_) -> list[Fanout]:
    post = _visible_post(post_id)
    if post is None or post.is_question:
        return []
    thread = post.thread
    return [Fanout("answer_new", follower_ids(thread=thread), f"{actor or 'Someone'} answered {_quote(thread.title)}",
                   post.get_absolute_url(), f"post:{post.pk}")]


def _answer_accepted(post_id: int, actor: str, **_) -> list[Fanout]:
    post = _visible_post(post_id)
    if post is None or not post.is_accepted:
        return []
    thread = post.thread
    return [Fanout("answer_accepted", follower_ids(thread=thread),
                   f"{actor or 'The asker'} accepted {post.display_author}'s answer to {_quote(thread.title)}",
                   post.get_absolute_url(), f"accepted:{post.pk}")]


def _comment_new(comment_id: int, actor: str, **_) -> list[Fanout]:
    comment = Comment.objects.filter(pk=comment_id, is_hidden=False).first()
    post = _visible_post(comment.post_id) if comment else None
    if post is None:
        return []
    thread = post.thread
    on = "the question" if post.is_question else f"{post.display_author}'s answer"
    return [Fanout("comment_new", follower_ids(thread=thread),
                   f"{actor or 'Someone'} commented on {on} in {_quote(thread.title)}",
                   f"{thread.get_absolute_url()}#comment-{comment.pk}", f"comment:{comment.pk}")]


def _question_new(thread_id: int, actor: str, **_) -> list[Fanout]:
    thread = Thread.objects.visible().filter(pk=thread_id).first()
    if thread is None:
        return []
    tags = list(thread.tags.all())
    if not tags:
        return []
    names = ", ".join(tag.name for tag in tags)
    return [Fanout("question_in_tag", follower_ids(tag__in=tags),
                   f"{actor or 'Someone'} asked {_quote(thread.title)} in {names}",
                   thread.get_absolute_url(), f"thread:{thread.pk}")]


def _article_readers(article: Article, user_ids: set[int]) -> set[int]:
    """Of ``user_ids``, those who may read the published ``article`` (internal: agents and editors only)."""
    if article.status != Article.Status.PUBLISHED:
        return set()
    if article.visibility == Article.Visibility.PUBLIC:
        return user_ids
    return user_ids & user_ids_with_perm("kb.view_internal_article", "kb.edit_article")


def _article_updated(article_id: int, how: str = "edited", **_) -> list[Fanout]:
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return []
    verb = {"edited": "was updated", "restored": "was updated", "reviewed": "was reviewed and is up to date",
            "republished": "was reviewed and published again"}.get(how, "was updated")
    return [Fanout("article_updated", _article_readers(article, follower_ids(article=article)),
                   f"The article {_quote(article.title)} {verb}", article.get_absolute_url(),
                   f"article:{article.pk}:v{article.version}")]


def _article_published(article_id: int, republished: bool = False, **_) -> list[Fanout]:
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return []
    fanouts = _article_updated(article_id, how="republished") if republished else []
    # The community questions the article was drawn from (its evidence, or its cluster's members).
    threads = Thread.objects.visible().filter(source__kind="community", author__isnull=False)
    from_sources = set(threads.filter(pk__in=ArticleSource.objects.filter(article=article).values("thread_id"))
                       .values_list("author_id", flat=True))
    from_cluster = set(threads.filter(cluster_membership__cluster_id=article.cluster_id)
                       .values_list("author_id", flat=True)) if article.cluster_id else set()
    fanouts.append(Fanout("question_in_article", _article_readers(article, from_sources | from_cluster),
                          f"Your question is now an article: {_quote(article.title)}", article.get_absolute_url(),
                          f"article:{article.pk}"))
    return fanouts


def _contact_reply(message_id: int, **_) -> list[Fanout]:
    message = ContactMessage.objects.select_related("contact").filter(pk=message_id).first()
    if message is None or message.sender != ContactMessage.Sender.AGENT:
        return []
    contact = message.contact
    # The customer's own account, and whoever follows the contact and may still see it (agents).
    users = follower_ids(contact=contact)
    if contact.customer_id:
        users.add(contact.customer_id)
    agents = user_ids_with_perm("support.handle_contact")
    allowed = {pk for pk in users if pk == contact.customer_id or pk in agents}
    return [Fanout("contact_reply", allowed, f"Support replied to your request {_quote(contact.subject)}",
                   f"{reverse('help:my_contact', args=[contact.pk])}#message-{message.pk}", f"message:{message.pk}")]


def _editor_url(article: Article) -> str:
    return reverse("kb:edit", args=[article.pk])


def _article_flagged(flag_id: int, actor: str, **_) -> list[Fanout]:
    flag = ArticleFlag.objects.select_related("article").filter(pk=flag_id).first()
    if flag is None:
        return []
    note = f": {flag.note}" if flag.note else ""
    return [Fanout("article_flagged", user_ids_with_perm("kb.edit_article"),
                   f"{actor or 'An agent'} flagged {_quote(flag.article.title)} as {flag.get_kind_display().lower()}"
                   f"{note}", _editor_url(flag.article), f"flag:{flag.pk}")]


def _article_needs_review(article_id: int, reason: str = "", **_) -> list[Fanout]:
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return []
    digest = hashlib.sha1(reason.encode()).hexdigest()[:16]
    return [Fanout("article_needs_review", user_ids_with_perm("kb.edit_article"),
                   f"{_quote(article.title)} needs review: {reason}", _editor_url(article),
                   f"review:{article.pk}:{digest}")]


HANDLERS = {
    "answer_new": _answer_new,
    "answer_accepted": _answer_accepted,
    "comment_new": _comment_new,
    "question_new": _question_new,
    "article_updated": _article_updated,
    "article_published": _article_published,
    "contact_reply": _contact_reply,
    "article_flagged": _article_flagged,
    "article_needs_review": _article_needs_review,
}


def _batches(items, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def notifications_create(*, fanout: Fanout, actor_id: int | None, actor_name: str = "",
                         batch_size: int = BATCH_SIZE) -> int:
    """Write ``fanout``'s notifications (not to the actor), a batch per transaction; returns how many.

    Each recipient's preference decides the row's delivery: no row when both the inbox and
    e-mail are off; shown at once for an instant inbox (digests show the rest). Instant
    e-mails are queued per batch once it is committed. Told once: a row that exists for
    (user, event, key) is kept, so a retried task adds nothing.
    """
    user_ids = sorted(fanout.user_ids - {actor_id})
    created = 0
    for batch in _batches(user_ids, batch_size):
        now = timezone.now()
        rows = [
            Notification(user_id=user_id, event=fanout.event, actor_name=actor_name[:200], text=fanout.text[:TEXT_MAX],
                         url=fanout.url[:500], key=fanout.key, inbox=inbox, email=email, created_at=now,
                         shown_at=now if inbox == INSTANT else None)
            for user_id, (inbox, email) in deliveries_for(event=fanout.event, user_ids=batch).items()
            if (inbox, email) != (OFF, OFF)
        ]
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            mail_ids = list(Notification.objects.filter(
                event=fanout.event, key=fanout.key, user_id__in=batch, email=INSTANT, emailed_at__isnull=True,
                created_at=now).values_list("pk", flat=True))
            if mail_ids:
                delay_on_commit("notifications.tasks.notifications_email", mail_ids,
                                what=f"{len(mail_ids)} {fanout.event} e-mails")
        created += len(rows)
    return created


def event_fanout(*, event: str, object_id: int, actor_id: int | None = None, **extra) -> int:
    """Notify everyone ``event`` about ``object_id`` concerns (see ``HANDLERS``); returns the rows written."""
    handler = HANDLERS.get(event)
    if handler is None:
        raise ValueError(f"unknown event {event!r}; known: {', '.join(HANDLERS)}")
    actor = _name(actor_id)
    return sum(notifications_create(fanout=fanout, actor_id=actor_id, actor_name=actor)
               for fanout in handler(object_id, actor=actor, **extra))
