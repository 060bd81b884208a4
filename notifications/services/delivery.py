"""E-mail delivery of notifications: instant mails and the daily and weekly digests.

Mail goes through ``mail.services.message_send`` (rendering, the never-mail-unconfirmed rule,
the per-recipient rate limit, sending from a task with retries). Every mail carries a
one-click unsubscribe link to the mail layer's one unsubscribe page, which turns e-mail off for
its event types in the recipient's preferences (``notifications.unsubscribe``). An account whose address is not yet
confirmed gets the mail layer's confirmation mail instead (at most one an hour); what was
due is not mailed later, it stays in the inbox.
"""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mail.selectors import is_confirmed
from mail.services import address_confirmation_send, message_send
from mail.tokens import absolute, unsubscribe_url
from notifications.events import DAILY, EVENT_BY_CODE, INSTANT, WEEKLY
from notifications.models import Notification
from notifications.signing import unsubscribe_data

DIGEST_MAX = 50
KIND_PREFIX = "notification."


def _unsubscribe_url(user, kind: str, events) -> str:
    """The link to the one unsubscribe page (``mail.views.unsubscribe``), which asks
    ``notifications.unsubscribe`` what it turns off: e-mail for ``events`` in ``user``'s preferences."""
    return unsubscribe_url(address=user.email, kind=kind, data=unsubscribe_data(user=user, events=events))


def _mailable(user) -> bool:
    """May ``user`` be mailed now? If the address is unconfirmed, ask for confirmation (the mail layer limits it)."""
    if not user.email or not user.is_active:
        return False
    if is_confirmed(user.email):
        return True
    address_confirmation_send(address=user.email,
                              reason=f"You have e-mail notifications on at {settings.BRAND_NAME}: questions, "
                                     "articles and requests you follow.")
    return False


def _item(notification: Notification) -> dict:
    event = EVENT_BY_CODE[notification.event]
    why = "you edit the knowledge base" if event.audience == "editors" else "you follow it"
    return {"text": notification.text, "url": absolute(notification.url), "event": event.label,
            "why": why, "when": notification.created_at}


def notifications_email_send(*, notification_ids: list[int]) -> int:
    """Mail each of these notifications whose e-mail delivery is instant and not done yet; returns mails queued."""
    sent = 0
    rows = Notification.objects.filter(pk__in=notification_ids, email=INSTANT, emailed_at__isnull=True)
    for notification in rows.select_related("user"):
        with transaction.atomic():
            # Claimed first: a retried or duplicated task never mails the same notification twice.
            if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                    emailed_at=timezone.now()):
                continue
            user = notification.user
            if not _mailable(user):
                continue
            message_send(
                to=user.email, subject=notification.text[:200], template="notifications/email/instant",
                context={"user_name": user.public_name, "item": _item(notification),
                         "preferences_url": absolute(reverse("notifications:preferences"))},
                kind=KIND_PREFIX + notification.event,
                unsubscribe_url=_unsubscribe_url(user, KIND_PREFIX + notification.event, [notification.event]),
            )
            sent += 1
    return sent


def digest_send(*, period: str) -> int:
    """The ``daily`` or ``weekly`` digest: show held inbox notifications, and mail each user one
    digest of what is due for them (newest ``DIGEST_MAX`` listed); returns the mails queued."""
    if period not in (DAILY, WEEKLY):
        raise ValueError(f"a digest is daily or weekly, not {period!r}")
    now = timezone.now()
    Notification.objects.filter(inbox=period, shown_at__isnull=True).update(shown_at=now)
    due = Notification.objects.filter(email=period, emailed_at__isnull=True, created_at__lte=now)
    sent = 0
    for user_id in due.order_by().values_list("user_id", flat=True).distinct():
        with transaction.atomic():
            rows = list(due.filter(user_id=user_id).select_for_update().select_related("user").order_by("-created_at"))
            if not rows:
                continue
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=now)
            user = rows[0].user
            if not _mailable(user):
                continue
            by_event: dict[str, list] = defaultdict(list)
            for row in rows[:DIGEST_MAX]:
                by_event[EVENT_BY_CODE[row.event].label].append(_item(row))
            events = sorted({row.event for row in rows})
            message_send(
                to=user.email, template="notifications/email/digest",
                subject=f"Your {period} digest from {settings.BRAND_NAME}: {len(rows)} update{'s' if len(rows) != 1 else ''}",
                context={"user_name": user.public_name, "period": period, "groups": dict(by_event),
                         "count": len(rows), "more": max(0, len(rows) - DIGEST_MAX),
                         "inbox_url": absolute(reverse("notifications:inbox")),
                         "preferences_url": absolute(reverse("notifications:preferences"))},
                kind=f"{KIND_PREFIX}digest.{period}",
                unsubscribe_url=_unsubscribe_url(user, f"{KIND_PREFIX}digest.{period}", events),
            )
            sent += 1
    return sent
