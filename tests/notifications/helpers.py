"""Reading what people were told."""
from __future__ import annotations


def texts(user, event=None):
    from notifications.models import Notification

    rows = Notification.objects.filter(user=user)
    if event:
        rows = rows.filter(event=event)
    return [n.text for n in rows.order_by("id")]
