"""Votes, accepted answers and the reputation they earn."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from community.models import Post, Thread, User, Vote
from community.services.posting import notify_threads_changed
from community.signals import answer_accepted
from core.errors import ServiceError

REPUTATION = {
    ("question", 1): 5,
    ("question", -1): -2,
    ("answer", 1): 10,
    ("answer", -1): -2,
    "accepted": 15,
    "accepter": 2,
}


def _rep(post: Post, value: int) -> int:
    return REPUTATION[("question" if post.is_question else "answer", value)]


def _add_reputation(user_id: int | None, delta: int) -> None:
    if user_id and delta:
        User.objects.filter(pk=user_id).update(reputation=F("reputation") + delta)


def _add_score(post: Post, delta: int) -> None:
    """Votes cast here count in ``local_score``; the source's own ``score`` is never touched."""
    Post.objects.filter(pk=post.pk).update(local_score=F("local_score") + delta)
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(local_score=F("local_score") + delta)
    post.refresh_from_db(fields=["score", "local_score", "total_score"])


@transaction.atomic
def vote_cast(*, user: User, post: Post, value: int) -> Vote:
    """Vote a post up (1) or down (-1). Assumes ``check_can_vote(user, post)`` passed.

    One vote per member per post: the same vote twice is refused; the opposite vote replaces it.
    """
    if value not in (1, -1):
        raise ServiceError("A vote is 1 (up) or -1 (down).", field="value")
    existing = Vote.objects.select_for_update().filter(user=user, post=post).first()
    if existing and existing.value == value:
        raise ServiceError("You have already voted on this post.", code="already_voted")
    if existing:
        _add_score(post, value - existing.value)
        _add_reputation(post.author_id, _rep(post, value) - _rep(post, existing.value))
        existing.value = value
        existing.save(update_fields=["value"])
        vote = existing
    else:
        try:
            with transaction.atomic():
                vote = Vote.objects.create(user=user, post=post, value=value)
        except IntegrityError:
            raise ServiceError("You have already voted on this post.", code="already_voted") from None
        _add_score(post, value)
        _add_reputation(post.author_id, _rep(post, value))
    notify_threads_changed([post.thread_id])
    return vote


@transaction.atomic
def vote_retract(*, user: User, post: Post) -> None:
    vote = Vote.objects.select_for_update().filter(user=user, post=post).first()
    if vote is None:
        raise ServiceError("You have not voted on this post.", code="no_vote")
    _add_score(post, -vote.value)
    _add_reputation(post.author_id, -_rep(post, vote.value))
    vote.delete()
    notify_threads_changed([post.thread_id])


@transaction.atomic
def answer_accept(*, user: User, post: Post) -> Post:
    """Accept ``post`` as the answer to its question. Assumes ``check_can_accept(user, post.thread)``.

    Accepting another answer moves the mark (and its reputation) to the new one.
    """
    if post.is_question:
        raise ServiceError("Only answers can be accepted.", code="not_an_answer")
    if post.status != Thread.Status.PUBLISHED or post.is_hidden:
        raise ServiceError("This answer is not published.", code="not_published")
    thread = Thread.objects.select_for_update().get(pk=post.thread_id)
    previous = thread.posts.filter(is_accepted=True).first()
    if previous and previous.pk == post.pk:
        raise ServiceError("This answer is already accepted.", code="already_accepted")
    if previous:
        Post.objects.filter(pk=previous.pk).update(is_accepted=False)
        if previous.author_id != thread.author_id:
            _add_reputation(previous.author_id, -REPUTATION["accepted"])
    else:
        _add_reputation(user.pk, REPUTATION["accepter"])
    Post.objects.filter(pk=post.pk).update(is_accepted=True)
    if post.author_id != thread.author_id:
        _add_reputation(post.author_id, REPUTATION["accepted"])
    thread.accepted_post_external_id = post.external_id
    thread.save(update_fields=["accepted_post_external_id", "updated_at"])
    notify_threads_changed([thread.pk])
    answer_accepted.send(sender=Post, post_id=post.pk, actor_id=user.pk)
    post.refresh_from_db()
    return post


@transaction.atomic
def answer_unaccept(*, user: User, thread: Thread) -> None:
    """Remove the accepted mark. Assumes ``check_can_accept(user, thread)``."""
    previous = thread.posts.filter(is_accepted=True).first()
    if previous is None:
        raise ServiceError("No answer is accepted.", code="none_accepted")
    Post.objects.filter(pk=previous.pk).update(is_accepted=False)
    if previous.author_id != thread.author_id:
        _add_reputation(previous.author_id, -REPUTATION["accepted"])
    _add_reputation(user.pk, -REPUTATION["accepter"])
    thread.accepted_post_external_id = ""
    thread.save(update_fields=["accepted_post_external_id", "updated_at"])
    notify_threads_changed([thread.pk])
