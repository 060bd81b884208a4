"""Community reads: lists, a thread with its posts, profiles, the moderation queue."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from community.models import Comment, Flag, Post, Source, Tag, Thread, User, visible_q
from community.permissions import can_moderate, can_see_post, can_see_thread

SORTS = {
    "newest": ("-created_at",),
    "votes": ("-total_score", "-created_at"),
    "active": ("-last_activity_at",),
    "unanswered": ("-created_at",),
}


def thread_list(
    *, sort: str = "newest", tag: str | None = None, source: str | None = None, community_only: bool = True,
) -> QuerySet[Thread]:
    if sort not in SORTS:
        sort = "newest"
    qs = Thread.objects.visible().select_related("source", "author").prefetch_related("tags")
    if community_only and not source:
        qs = qs.filter(source__kind="community")
    if source:
        qs = qs.filter(source__slug=source)
    if tag:
        qs = qs.filter(tags__name=tag)
    if sort == "unanswered":
        qs = qs.filter(answer_count=0)
    return qs.order_by(*SORTS[sort])


def thread_get_for_user(*, thread_id: int, user) -> Thread | None:
    """The thread if ``user`` may see it (``can_see_thread``), else None (a 404: we do not say it exists)."""
    thread = Thread.objects.select_related("source", "author", "duplicate_of").filter(pk=thread_id).first()
    return thread if thread is not None and can_see_thread(user, thread) else None


def post_get_for_user(*, post_id: int, user) -> Post | None:
    """The post if ``user`` may see it (``can_see_post``), else None (a 404)."""
    post = Post.objects.select_related("thread__source", "author").filter(pk=post_id).first()
    return post if post is not None and can_see_post(user, post) else None


def thread_posts(*, thread: Thread, user) -> list[Post]:
    qs = thread.posts.select_related("author").prefetch_related(
        Prefetch("comments", queryset=Comment.objects.filter(is_hidden=False).select_related("author"))
    )
    if not can_moderate(user):
        own = Q(author_id=user.id) if user.is_authenticated else Q(pk__in=[])
        qs = qs.filter(Q(is_hidden=False, is_deleted=False) & (Q(status=Thread.Status.PUBLISHED) | own))
    return list(qs.order_by("-is_question", "-is_accepted", "-total_score", "created_at"))


def user_votes(*, user, posts: list[Post]) -> dict[int, int]:
    if not user.is_authenticated:
        return {}
    return dict(user.votes.filter(post__in=posts).values_list("post_id", "value"))


def profile_get(*, username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def profile_activity(*, user: User) -> dict:
    questions = Thread.objects.visible().filter(author=user).order_by("-created_at")
    answers = (
        Post.objects.visible().in_visible_threads().filter(author=user, is_question=False)
        .select_related("thread")
        .order_by("-created_at")
    )
    return {"questions": questions, "answers": answers}


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.annotate(
        thread_count=Count("threads", filter=visible_q("threads__"))
    ).order_by("-thread_count", "name")


def moderation_queue() -> dict:
    flags = Flag.objects.filter(status=Flag.Status.OPEN).select_related(
        "post__thread", "post__author", "flagged_by", "duplicate_of"
    )
    held = Post.objects.filter(status=Thread.Status.PENDING, is_hidden=False).select_related("thread", "author")
    return {"flags": flags.order_by("created_at"), "held": held.order_by("created_at")}


def source_choices() -> list[tuple[str, str]]:
    """(slug, name) of every source with visible threads, for the list's source filter."""
    return list(Source.objects.filter(visible_q("threads__")).distinct().order_by("name").values_list("slug", "name"))


@dataclass(frozen=True)
class DuplicateChoice:
    """Closing ``close`` as a duplicate of ``keep``, and whether the other direction is advised."""

    close: Thread
    keep: Thread
    swap_advised: bool
    reason: str


def _answered(thread: Thread) -> tuple[bool, int]:
    return thread.posts.filter(is_accepted=True, is_hidden=False, is_deleted=False).exists(), thread.answer_count


def duplicate_choice(*, thread: Thread, original: Thread) -> DuplicateChoice:
    """Which of two questions should stay open: the better-answered one (an accepted answer, then
    more answers), else the older. ``swap_advised`` when that is ``thread``, the one a moderator
    or a flag proposed to close."""
    a, b = _answered(thread), _answered(original)
    if a != b:
        better = thread if a > b else original
        accepted = _answered(better)[0]
        reason = f"#{better.pk} is better answered ({better.answer_count} answer{'s' if better.answer_count != 1 else ''}" \
                 + (", one accepted)" if accepted else ")")
    else:
        better = thread if (thread.created_at, thread.pk) < (original.created_at, original.pk) else original
        reason = f"#{better.pk} is older and as well answered"
    swap = better.pk == thread.pk
    return DuplicateChoice(close=thread, keep=original, swap_advised=swap, reason=reason)
