"""Signal receivers: the lower apps' events become follows now and a fan-out task on commit.

The signals are sent inside the service's transaction: the automatic follow (of what one
asked, answered or contacted about) commits with the post or contact, and the fan-out
task is queued only once the change is committed (``core.queueing``). The request that
caused the event does nothing more; the task writes the notifications.
"""
from __future__ import annotations

from community import signals as community_signals
from community.models import Post, Thread
from core.queueing import delay_on_commit
from kb import signals as kb_signals
from notifications.models import Follow
from notifications.services.follows import follow_create
from support import signals as support_signals
from support.models import Contact

FANOUT_TASK = "notifications.tasks.event_fanout"


def _fanout(event: str, object_id: int, actor_id: int | None, **extra) -> None:
    delay_on_commit(FANOUT_TASK, event, object_id, actor_id, extra, what=f"{event} notifications for {object_id}")


def question_created(sender, thread_id, actor_id=None, **kwargs) -> None:
    thread = Thread.objects.select_related("author").filter(pk=thread_id).first()
    if thread is not None and thread.author is not None:
        follow_create(user=thread.author, target=thread, reason=Follow.Reason.ASKED)
    _fanout("question_new", thread_id, actor_id)


def answer_created(sender, post_id, actor_id=None, **kwargs) -> None:
    post = Post.objects.select_related("thread", "author").filter(pk=post_id).first()
    if post is not None and post.author is not None:
        follow_create(user=post.author, target=post.thread, reason=Follow.Reason.ANSWERED)
    _fanout("answer_new", post_id, actor_id)


def answer_accepted(sender, post_id, actor_id=None, **kwargs) -> None:
    _fanout("answer_accepted", post_id, actor_id)


def comment_created(sender, comment_id, actor_id=None, **kwargs) -> None:
    _fanout("comment_new", comment_id, actor_id)


def article_published(sender, article_id, actor_id=None, republished=False, **kwargs) -> None:
    _fanout("article_published", article_id, actor_id, republished=bool(republished))


def article_updated(sender, article_id, actor_id=None, how="edited", **kwargs) -> None:
    _fanout("article_updated", article_id, actor_id, how=how)


def article_flagged(sender, flag_id, actor_id=None, **kwargs) -> None:
    _fanout("article_flagged", flag_id, actor_id)


def article_needs_review(sender, article_id, reason="", editors_told=False, **kwargs) -> None:
    # Not twice for one flag: the editors' "flagged" notice already says the article needs a look.
    if not editors_told:
        _fanout("article_needs_review", article_id, None, reason=reason)


def contact_created(sender, contact_id, actor_id=None, **kwargs) -> None:
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is not None and contact.customer is not None:
        follow_create(user=contact.customer, target=contact, reason=Follow.Reason.CONTACTED)


def contact_message_created(sender, message_id, actor_id=None, by="", **kwargs) -> None:
    if by == "agent":
        _fanout("contact_reply", message_id, actor_id)


def connect() -> None:
    """Called once from ``NotificationsConfig.ready``."""
    for signal, receiver in (
        (community_signals.question_created, question_created),
        (community_signals.answer_created, answer_created),
        (community_signals.answer_accepted, answer_accepted),
        (community_signals.comment_created, comment_created),
        (kb_signals.article_published, article_published),
        (kb_signals.article_updated, article_updated),
        (kb_signals.article_flagged, article_flagged),
        (kb_signals.article_needs_review, article_needs_review),
        (support_signals.contact_created, contact_created),
        (support_signals.contact_message_created, contact_message_created),
    ):
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
