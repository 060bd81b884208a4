"""The inbox and the preferences: mark read, choose deliveries."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.errors import ServiceError
from notifications.events import DELIVERIES, EVENT_BY_CODE, OFF
from notifications.models import Notification, Preference


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; someone else's is reported as missing."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise ServiceError("No such notification.", code="not_found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every shown, unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(user=user, shown_at__isnull=False, read_at__isnull=True).update(
        read_at=timezone.now())


@transaction.atomic
def preference_set(*, user, event: str, inbox: str | None = None, email: str | None = None) -> Preference:
    """Set ``user``'s delivery of ``event`` for the inbox and/or e-mail (the other keeps its current value)."""
    spec = EVENT_BY_CODE.get(event)
    if spec is None:
        raise ServiceError(f"Unknown event {event!r}.", code="unknown_event", field="event")
    for name, value in (("inbox", inbox), ("email", email)):
        if value is not None and value not in DELIVERIES:
            raise ServiceError(f"Choose one of {', '.join(DELIVERIES)} for {name}.", code="bad_delivery", field=name)
    pref, _ = Preference.objects.select_for_update().get_or_create(
        user=user, event=event, defaults={"inbox": spec.inbox, "email": spec.email})
    pref.inbox = inbox if inbox is not None else pref.inbox
    pref.email = email if email is not None else pref.email
    pref.save(update_fields=["inbox", "email"])
    return pref


def preference_unsubscribe(*, user, event: str) -> Preference:
    """Turn e-mail off for ``event`` (the one-click unsubscribe link of its mails)."""
    return preference_set(user=user, event=event, email=OFF)
