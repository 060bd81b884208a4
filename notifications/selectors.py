"""Reads: the inbox, the unread count, follows, preferences, and who hears of an event."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from notifications.events import EVENT_BY_CODE, EVENTS
from notifications.models import TARGETS, Follow, Notification, Preference


def unread_count(*, user) -> int:
    """Shown and unread: one indexed count (``notification_unread``), cheap enough for every page's header."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, shown_at__isnull=False, read_at__isnull=True).count()


def inbox(*, user) -> QuerySet[Notification]:
    """What the inbox lists: notifications shown so far (digest-held ones appear with their digest), newest first."""
    return Notification.objects.filter(user=user, shown_at__isnull=False).order_by("-shown_at", "-id")


def target_field(target) -> str:
    """The ``Follow`` field that points at ``target``'s model (``thread``, ``article``, ``tag``, ``contact``)."""
    label = target._meta.label
    field = {"community.Thread": "thread", "kb.Article": "article", "community.Tag": "tag",
             "support.Contact": "contact"}.get(label)
    if field is None:
        raise ValueError(f"{label} cannot be followed")
    return field


def follow_get(*, user, target) -> Follow | None:
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(user=user, **{target_field(target): target}).first()


def follows_of(*, user) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user).select_related(*TARGETS)


def preferences_of(*, user) -> dict[str, tuple[str, str]]:
    """``{event: (inbox, email)}`` for every event: the user's choice, or the event's default."""
    chosen = {p.event: (p.inbox, p.email) for p in Preference.objects.filter(user=user)}
    return {event.code: chosen.get(event.code, (event.inbox, event.email)) for event in EVENTS}


def deliveries_for(*, event: str, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``{user id: (inbox, email)}`` of ``event`` for ``user_ids``, in one query (defaults filled in)."""
    default = (EVENT_BY_CODE[event].inbox, EVENT_BY_CODE[event].email)
    chosen = {
        user_id: (inbox_choice, email_choice)
        for user_id, inbox_choice, email_choice in Preference.objects.filter(event=event, user_id__in=user_ids)
        .values_list("user_id", "inbox", "email")
    }
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def follower_ids(**target) -> set[int]:
    """Active accounts following ``thread=``, ``article=``, ``contact=`` or any of ``tag__in=``."""
    return set(Follow.objects.filter(user__is_active=True, **target).values_list("user_id", flat=True))


def user_ids_with_perm(*perms: str) -> set[int]:
    """Active accounts holding any of ``perms`` (through a role, directly, or as superusers)."""
    users = get_user_model().objects
    found: set[int] = set()
    for perm in perms:
        found |= set(users.with_perm(perm).values_list("pk", flat=True))
    return found


def events_for(*, user) -> list:
    """The events ``user`` can receive, for the preferences page (editors' events only for editors)."""
    editor = user.is_authenticated and user.has_perm("kb.edit_article")
    return [event for event in EVENTS if event.audience == "followers" or editor]
