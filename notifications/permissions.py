"""Who may follow what, and read which notifications. One place, so the matrix is testable.

A signed-in account follows what it may read: a community question it can see (harvested
threads change only through harvests, which announce no answers), an article it can read,
any tag, its own support contact (agents: any contact). Each ``check_*`` raises
``NotAllowed`` with a readable reason; each ``can_*`` returns a bool for templates.
"""
from __future__ import annotations

from community.models import Tag, Thread
from community.permissions import can_see_thread
from core.errors import NotAllowed
from kb.models import Article
from kb.permissions import can_view_article
from support.models import Contact
from support.permissions import can_view_contact


def can_follow(user, target) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if isinstance(target, Thread):
        return target.source.kind == "community" and can_see_thread(user, target)
    if isinstance(target, Article):
        return can_view_article(user, target)
    if isinstance(target, Tag):
        return True
    if isinstance(target, Contact):
        return can_view_contact(user, target)
    return False


def check_can_follow(user, target) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to follow.", code="not_authenticated")
    if not can_follow(user, target):
        raise NotAllowed("You cannot follow this.")


def check_signed_in(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to see your notifications.", code="not_authenticated")
