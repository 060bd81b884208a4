"""Asking, answering, commenting and editing in the community."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community.models import Comment, Post, PostRevision, Tag, Thread, User
from community.permissions import can_moderate
from community.rendering import content_hash
from community.services.sources import source_community
from community.signals import answer_created, comment_created, question_created, threads_changed
from community.validation import MAX_TAGS, parse_tags, validate_body, validate_comment, validate_title
from core.errors import ServiceError


def notify_threads_changed(thread_ids: list[int]) -> None:
    """Mark threads for re-indexing and tell subscribers once the transaction commits."""
    ids = sorted(set(thread_ids))
    if not ids:
        return
    Thread.objects.filter(pk__in=ids).update(search_dirty=True)
    transaction.on_commit(lambda: threads_changed.send(sender=Thread, thread_ids=ids))


def _resolve_tags(*, user: User, raw_tags: list[str] | str) -> list[Tag]:
    names = parse_tags(raw_tags)
    if not names:
        raise ServiceError("Add at least one tag.", field="tags")
    if len(names) > MAX_TAGS:
        raise ServiceError(f"Use at most {MAX_TAGS} tags.", field="tags")
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in existing]
    if unknown:
        if not can_moderate(user):
            raise ServiceError(
                f"Unknown tag{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. Pick existing tags.",
                field="tags",
                code="unknown_tag",
            )
        for name in unknown:
            existing[name] = Tag.objects.create(name=name)
    return [existing[name] for name in names]


def _initial_status(user: User) -> str:
    hold = settings.COMMUNITY_HOLD_FIRST_POSTS
    if hold and user.approved_posts < hold and not can_moderate(user):
        return Thread.Status.PENDING
    return Thread.Status.PUBLISHED


def _count_published(user: User, status: str) -> None:
    if status == Thread.Status.PUBLISHED:
        User.objects.filter(pk=user.pk).update(approved_posts=F("approved_posts") + 1)


def _record_revision(*, post: Post, editor: User | None, title: str = "", tags: str = "", reason: str = "") -> None:
    number = (post.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    PostRevision.objects.create(
        post=post,
        number=number,
        editor=editor,
        editor_name=editor.public_name if editor else post.author_name,
        title=title,
        body=post.body,
        tags=tags,
        reason=reason,
    )


@transaction.atomic
def question_create(*, author: User, title: str, body: str, tags: list[str] | str) -> Thread:
    """Ask a question. Assumes ``check_can_ask(author)`` passed."""
    title = validate_title(title)
    body = validate_body(body)
    tag_objs = _resolve_tags(user=author, raw_tags=tags)
    status = _initial_status(author)
    now = timezone.now()
    thread = Thread.objects.create(
        source=source_community(),
        title=title,
        author=author,
        author_name=author.public_name,
        created_at=now,
        last_activity_at=now,
        license=settings.COMMUNITY_LICENSE,
        status=status,
    )
    thread.tags.set(tag_objs)
    post = Post.objects.create(
        thread=thread,
        is_question=True,
        author=author,
        author_name=author.public_name,
        body=body,
        created_at=now,
        license=thread.license,
        status=status,
        content_hash=content_hash(title, body),
    )
    _record_revision(post=post, editor=author, title=title, tags=" ".join(t.name for t in tag_objs))
    _count_published(author, status)
    notify_threads_changed([thread.pk])
    question_created.send(sender=Thread, thread_id=thread.pk, actor_id=author.pk)
    return thread


@transaction.atomic
def answer_create(*, author: User, thread: Thread, body: str) -> Post:
    """Answer a question. Assumes ``check_can_answer(author, thread)`` passed."""
    body = validate_body(body)
    status = _initial_status(author)
    post = Post.objects.create(
        thread=thread,
        author=author,
        author_name=author.public_name,
        body=body,
        license=thread.license,
        status=status,
        content_hash=content_hash(body),
    )
    _record_revision(post=post, editor=author)
    if status == Thread.Status.PUBLISHED:
        Thread.objects.filter(pk=thread.pk).update(
            answer_count=F("answer_count") + 1, last_activity_at=post.created_at
        )
    _count_published(author, status)
    notify_threads_changed([thread.pk])
    answer_created.send(sender=Post, post_id=post.pk, actor_id=author.pk)
    return post


@transaction.atomic
def comment_create(*, author: User, post: Post, body: str) -> Comment:
    """Comment on a question or answer. Assumes ``check_can_comment`` passed."""
    body = validate_comment(body)
    comment = Comment.objects.create(post=post, author=author, author_name=author.public_name, body=body)
    comment_created.send(sender=Comment, comment_id=comment.pk, actor_id=author.pk)
    return comment


@transaction.atomic
def post_edit(
    *, editor: User, post: Post, body: str, title: str | None = None, tags: list[str] | str | None = None,
    reason: str = "",
) -> Post:
    """Edit a post, keeping every earlier version. Assumes ``check_can_edit_post`` passed.

    Title and tags only apply to the question of a thread.
    """
    body = validate_body(body)
    thread = post.thread
    tag_names = ""
    changed = body != post.body
    if post.is_question:
        if title is not None:
            new_title = validate_title(title)
            changed = changed or new_title != thread.title
            thread.title = new_title
        if tags is not None:
            tag_objs = _resolve_tags(user=editor, raw_tags=tags)
            changed = changed or {t.pk for t in tag_objs} != set(thread.tags.values_list("pk", flat=True))
            thread.tags.set(tag_objs)
        tag_names = " ".join(thread.tags.values_list("name", flat=True))
    if not changed:
        raise ServiceError("Nothing changed.", code="unchanged")
    if post.is_question:
        thread.save(update_fields=["title", "updated_at"])
    post.body = body
    post.edited_at = timezone.now()
    post.content_hash = content_hash(thread.title if post.is_question else "", body)
    post.save(update_fields=["body", "edited_at", "content_hash"])
    _record_revision(post=post, editor=editor, title=thread.title if post.is_question else "", tags=tag_names,
                     reason=reason[:300])
    notify_threads_changed([thread.pk])
    return post
