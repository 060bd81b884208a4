"""Notification writes, split by operation; import from here.

- ``follows``: follow and unfollow questions, articles, tags and contacts.
- ``fanout``: one event becomes notifications for its recipients (run by a task).
- ``inbox``: mark read, delivery preferences, unsubscribe.
- ``delivery``: instant e-mails and the daily and weekly digests.
"""
from notifications.services.delivery import digest_send, notifications_email_send
from notifications.services.fanout import event_fanout, notifications_create
from notifications.services.follows import follow_create, follow_delete
from notifications.services.inbox import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_set,
    preference_unsubscribe,
)

__all__ = [
    "digest_send", "event_fanout", "follow_create", "follow_delete", "notification_mark_read",
    "notifications_create", "notifications_email_send", "notifications_mark_all_read", "preference_set",
    "preference_unsubscribe",
]
