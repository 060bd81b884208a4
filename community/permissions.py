"""Who may do what in the community. One place, so the permission matrix is testable.

Each ``check_*`` raises ``NotAllowed`` with a readable reason; each ``can_*`` returns a bool
for templates. Services assume the matching check passed.
"""
from __future__ import annotations

from community.models import Post, Thread
from core.errors import NotAllowed


def can_moderate(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("community.moderate_thread"))


def _held_by(user, item: Thread | Post) -> bool:
    """A thread or post held for review, written by ``user``: its author may see it before it is published."""
    return item.status == Thread.Status.PENDING and user.is_authenticated and item.author_id == user.id


def can_see_thread(user, thread: Thread) -> bool:
    """Everyone: visible threads; moderators: hidden and held ones too; authors: their own held ones.
    Threads deleted at the source are gone for everyone."""
    if thread.is_deleted:
        return False
    return thread.is_visible or can_moderate(user) or _held_by(user, thread)


def can_see_post(user, post: Post) -> bool:
    """A post of a thread ``user`` can see that is visible, or hidden/held and ``user`` moderates, or held and
    ``user`` wrote it. Voting, commenting, flagging, editing and reading its history all start here."""
    if not can_see_thread(user, post.thread):
        return False
    if can_moderate(user):
        return True
    if post.is_hidden or post.is_deleted:
        return False
    return post.status == Thread.Status.PUBLISHED or _held_by(user, post)


def _member(user, perm: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(perm))


def check_can_ask(user) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in to ask a question.", code="not_authenticated")
    if not _member(user, "community.add_thread"):
        raise NotAllowed("Join the community to post questions.", code="not_member")


def can_join(user) -> bool:
    """Anonymous visitors (who sign up as they join) and active accounts that are not members yet."""
    if not user.is_authenticated:
        return True
    return user.is_active and not user.has_perm("community.add_thread")


def check_can_join(user) -> None:
    if not can_join(user):
        raise NotAllowed("You are already a member of the community.", code="already_member")


def _allowed(check, *args) -> bool:
    try:
        check(*args)
    except NotAllowed:
        return False
    return True


def members_may_answer(thread) -> bool:
    """A community question that is neither locked nor closed: any member may answer it
    (moderators may answer locked and closed ones too, see ``check_can_answer``)."""
    return thread.source.kind == "community" and not thread.is_locked and not thread.is_closed


def check_can_answer(user, thread) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in to answer.", code="not_authenticated")
    if not _member(user, "community.add_post"):
        raise NotAllowed("Join the community to answer.", code="not_member")
    if thread.is_locked and not can_moderate(user):
        raise NotAllowed("This question is locked.", code="locked")
    if thread.is_closed and not can_moderate(user):
        raise NotAllowed("This question is closed; answers are not accepted.", code="closed")
    if thread.source.kind != "community":
        raise NotAllowed("Harvested threads are read-only.", code="read_only")


def can_answer(user, thread) -> bool:
    return _allowed(check_can_answer, user, thread)


def check_can_comment(user, post) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in to comment.", code="not_authenticated")
    if not _member(user, "community.add_comment"):
        raise NotAllowed("Join the community to comment.", code="not_member")
    if post.thread.is_locked and not can_moderate(user):
        raise NotAllowed("This question is locked.", code="locked")


def can_comment(user, post) -> bool:
    return _allowed(check_can_comment, user, post)


def can_edit_post(user, post) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if post.thread.source.kind != "community":
        return False
    if can_moderate(user):
        return True
    return post.author_id == user.id and not post.thread.is_locked


def check_can_edit_post(user, post) -> None:
    if not can_edit_post(user, post):
        raise NotAllowed("Only the author or a moderator can edit this post.")


def check_can_vote(user, post) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in to vote.", code="not_authenticated")
    if not _member(user, "community.add_vote"):
        raise NotAllowed("Join the community to vote.", code="not_member")
    if post.author_id == user.id:
        raise NotAllowed("You cannot vote on your own post.", code="own_post")
    if post.thread.is_locked:
        raise NotAllowed("This question is locked.", code="locked")


def can_accept(user, thread) -> bool:
    return bool(
        user.is_authenticated and thread.author_id == user.id and thread.source.kind == "community"
        and not thread.is_locked
    )


def check_can_accept(user, thread) -> None:
    if not can_accept(user, thread):
        raise NotAllowed("Only the person who asked can accept an answer.", code="not_asker")


def check_can_flag(user, post) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in to flag.", code="not_authenticated")
    if not _member(user, "community.add_flag"):
        raise NotAllowed("Join the community to flag posts.", code="not_member")


def can_flag(user, post) -> bool:
    return _allowed(check_can_flag, user, post)


def check_can_moderate(user) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Sign in as a moderator.", code="not_authenticated")
    if not can_moderate(user):
        raise NotAllowed("Only moderators can do that.")
