"""Roles as Django groups. ``bootstrap_roles`` is idempotent and runs after every migrate.

customer  anonymous visitors, and every signed-in account (reads, helpful votes, own contacts)
member    asks, answers, comments, votes and flags in the community (given at sign-up)
agent     handles contacts in the agent console; sees internal articles
editor    curates the knowledge base; moderates the community; sees harvest runs
admin     everything, including the Django admin
"""
from __future__ import annotations

import logging

from django.contrib.auth.models import Group, Permission

logger = logging.getLogger(__name__)

CUSTOMER, MEMBER, AGENT, EDITOR, ADMIN = "customer", "member", "agent", "editor", "admin"
ROLES = (CUSTOMER, MEMBER, AGENT, EDITOR, ADMIN)

_MEMBER = [
    "community.add_thread",
    "community.add_post",
    "community.add_comment",
    "community.add_vote",
    "community.add_flag",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER: [],
    MEMBER: _MEMBER,
    AGENT: _MEMBER
    + ["support.handle_contact", "kb.view_internal_article", "kb.flag_article", "kb.capture_article"],
    EDITOR: _MEMBER
    + [
        "community.moderate_thread",
        "kb.view_internal_article",
        "kb.edit_article",
        "kb.publish_article",
        "community.view_source",
        "harvest.view_harvestrun",
    ],
    ADMIN: [],  # admins are superusers; the group exists so the role is visible and assignable
}


def _permission(label: str) -> Permission | None:
    app_label, codename = label.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def bootstrap_roles() -> dict[str, int]:
    """Create every role group and give it exactly its permissions. Returns counts per role."""
    counts = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for label in ROLE_PERMISSIONS[role]:
            perm = _permission(label)
            if perm is None:
                logger.debug("permission %s not installed yet; skipped for role %s", label, role)
                continue
            perms.append(perm)
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return {CUSTOMER}
    names = set(user.groups.values_list("name", flat=True)) | {CUSTOMER}
    if user.is_superuser:
        names.add(ADMIN)
    return names


def role_assign(*, user, role: str) -> None:
    """Give a role (``admin`` also makes the account staff and superuser)."""
    _role_set(user, role, given=True)


def role_revoke(*, user, role: str) -> None:
    """Take a role away (taking ``admin`` away also ends staff and superuser status)."""
    _role_set(user, role, given=False)


def _role_set(user, role: str, *, given: bool) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    group = Group.objects.get(name=role)
    if given:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    if role == ADMIN:
        user.is_staff = user.is_superuser = given
        user.save(update_fields=["is_staff", "is_superuser"])
    if hasattr(user, "_perm_cache"):
        del user._perm_cache
    if hasattr(user, "_group_perm_cache"):
        del user._group_perm_cache
