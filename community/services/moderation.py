"""Flags, the moderator queue's actions, closing, locking, and held posts.

Every function assumes ``check_can_moderate(moderator)`` passed (``flag_create``
assumes ``check_can_flag``).
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community.models import Flag, Post, Thread, User
from community.services.posting import notify_threads_changed
from community.signals import answer_created, question_created
from core.errors import ServiceError


@transaction.atomic
def flag_create(*, user: User, post: Post, reason: str, duplicate_of: Thread | None = None, note: str = "") -> Flag:
    if reason not in Flag.Reason.values:
        raise ServiceError(f"Unknown reason {reason!r}.", field="reason")
    if reason == Flag.Reason.DUPLICATE:
        if duplicate_of is None:
            raise ServiceError("Say which question this duplicates.", field="duplicate_of")
        if duplicate_of.pk == post.thread_id:
            raise ServiceError("A question cannot duplicate itself.", field="duplicate_of")
    if Flag.objects.filter(post=post, flagged_by=user, status=Flag.Status.OPEN).exists():
        raise ServiceError("You have already flagged this post.", code="already_flagged")
    return Flag.objects.create(post=post, flagged_by=user, reason=reason, duplicate_of=duplicate_of, note=note[:500])


def _close_flags(post: Post, *, moderator: User, status: str) -> None:
    Flag.objects.filter(post=post, status=Flag.Status.OPEN).update(
        status=status, handled_by=moderator, handled_at=timezone.now()
    )


@transaction.atomic
def flag_dismiss(*, moderator: User, flag: Flag) -> None:
    if flag.status != Flag.Status.OPEN:
        raise ServiceError("This flag was already handled.", code="handled")
    flag.status = Flag.Status.DISMISSED
    flag.handled_by = moderator
    flag.handled_at = timezone.now()
    flag.save(update_fields=["status", "handled_by", "handled_at"])


@transaction.atomic
def post_hide(*, moderator: User, post: Post) -> None:
    """Hide a post (hiding the question hides the thread). Resolves its open flags."""
    if post.is_hidden:
        # Hiding twice would take the answer off the thread's answer count twice.
        raise ServiceError("This post is already hidden.", code="already_hidden")
    post.is_hidden = True
    post.save(update_fields=["is_hidden"])
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(is_hidden=True)
    elif post.status == Thread.Status.PUBLISHED:
        Thread.objects.filter(pk=post.thread_id, answer_count__gt=0).update(answer_count=F("answer_count") - 1)
    _close_flags(post, moderator=moderator, status=Flag.Status.RESOLVED)
    notify_threads_changed([post.thread_id])


@transaction.atomic
def post_restore(*, moderator: User, post: Post) -> None:
    if not post.is_hidden:
        raise ServiceError("This post is not hidden.", code="not_hidden")
    post.is_hidden = False
    post.save(update_fields=["is_hidden"])
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(is_hidden=False)
    elif post.status == Thread.Status.PUBLISHED:
        Thread.objects.filter(pk=post.thread_id).update(answer_count=F("answer_count") + 1)
    notify_threads_changed([post.thread_id])


@transaction.atomic
def post_approve(*, moderator: User, post: Post) -> None:
    """Publish a post held for review (a new account's first posts)."""
    if post.status != Thread.Status.PENDING:
        raise ServiceError("This post is not waiting for review.", code="not_pending")
    post.status = Thread.Status.PUBLISHED
    post.save(update_fields=["status"])
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(status=Thread.Status.PUBLISHED)
    else:
        Thread.objects.filter(pk=post.thread_id).update(
            answer_count=F("answer_count") + 1, last_activity_at=timezone.now()
        )
    if post.author_id:
        User.objects.filter(pk=post.author_id).update(approved_posts=F("approved_posts") + 1)
    notify_threads_changed([post.thread_id])
    # Now that others can read it, it is news: the same event as when a visible post is written.
    if post.is_question:
        question_created.send(sender=Thread, thread_id=post.thread_id, actor_id=post.author_id)
    else:
        answer_created.send(sender=Post, post_id=post.pk, actor_id=post.author_id)


@transaction.atomic
def post_reject(*, moderator: User, post: Post) -> None:
    """Turn down a held post: it stays stored, hidden, for the record."""
    if post.status != Thread.Status.PENDING:
        raise ServiceError("This post is not waiting for review.", code="not_pending")
    post.is_hidden = True
    post.save(update_fields=["is_hidden"])
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(is_hidden=True)


@transaction.atomic
def thread_close_duplicate(*, moderator: User, thread: Thread, original: Thread) -> Thread:
    if original.pk == thread.pk:
        raise ServiceError("A question cannot duplicate itself.", field="original")
    if not original.is_visible:
        raise ServiceError("The original question is not visible.", field="original")
    thread.is_closed = True
    thread.closed_reason = "duplicate"
    thread.duplicate_of = original
    thread.duplicate_of_external_id = original.external_id
    thread.save(update_fields=["is_closed", "closed_reason", "duplicate_of", "duplicate_of_external_id", "updated_at"])
    question = thread.question
    if question:
        _close_flags(question, moderator=moderator, status=Flag.Status.RESOLVED)
    notify_threads_changed([thread.pk])
    return thread


@transaction.atomic
def thread_reopen(*, moderator: User, thread: Thread) -> Thread:
    if not thread.is_closed:
        raise ServiceError("This question is not closed.", code="not_closed")
    thread.is_closed = False
    thread.closed_reason = ""
    thread.duplicate_of = None
    thread.duplicate_of_external_id = ""
    thread.save(update_fields=["is_closed", "closed_reason", "duplicate_of", "duplicate_of_external_id", "updated_at"])
    notify_threads_changed([thread.pk])
    return thread


@transaction.atomic
def thread_set_locked(*, moderator: User, thread: Thread, locked: bool) -> Thread:
    thread.is_locked = locked
    thread.save(update_fields=["is_locked", "updated_at"])
    return thread


MODERATION_ACTIONS = ("hide", "restore", "approve", "reject", "lock", "unlock", "reopen", "close_duplicate",
                      "dismiss_flags")


@transaction.atomic
def post_moderate(*, moderator: User, post: Post, action: str, original_id: int | None = None) -> None:
    """One moderator action on ``post`` or its thread, by name (``MODERATION_ACTIONS``): the queue's
    buttons and the API's ``moderate`` endpoint. ``close_duplicate`` needs ``original_id``, the
    question this one duplicates. Assumes ``check_can_moderate(moderator)`` passed."""
    thread = post.thread
    if action == "close_duplicate":
        if not original_id:
            raise ServiceError("Give the number of the original question.", field="original")
        original = Thread.objects.filter(pk=original_id).first()
        if original is None:
            raise ServiceError(f"There is no question #{original_id}.", field="original")
        thread_close_duplicate(moderator=moderator, thread=thread, original=original)
    elif action == "dismiss_flags":
        for flag in Flag.objects.filter(post=post, status=Flag.Status.OPEN):
            flag_dismiss(moderator=moderator, flag=flag)
    elif action in ("lock", "unlock"):
        thread_set_locked(moderator=moderator, thread=thread, locked=action == "lock")
    elif action == "reopen":
        thread_reopen(moderator=moderator, thread=thread)
    elif action in ("hide", "restore", "approve", "reject"):
        {"hide": post_hide, "restore": post_restore, "approve": post_approve, "reject": post_reject}[action](
            moderator=moderator, post=post)
    else:
        raise ServiceError(f"Unknown action {action!r}.", field="action")
