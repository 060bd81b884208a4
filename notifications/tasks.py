"""Celery tasks: load, call a service, retry on transient errors."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from notifications import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def event_fanout(event: str, object_id: int, actor_id: int | None = None, extra: dict | None = None) -> int:
    """Write the notifications of one event (queued on commit by ``notifications.receivers``)."""
    return services.event_fanout(event=event, object_id=object_id, actor_id=actor_id, **(extra or {}))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notifications_email(notification_ids: list[int]) -> int:
    """Mail notifications whose e-mail delivery is instant."""
    return services.notifications_email_send(notification_ids=notification_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def digest_daily() -> int:
    return services.digest_send(period="daily")


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def digest_weekly() -> int:
    return services.digest_send(period="weekly")
