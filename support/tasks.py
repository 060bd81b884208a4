"""Support housekeeping in the background.

The help center gives anonymous visitors a session (their searches and articles read travel
with a contact), so session rows now grow with every visitor. Django never deletes expired
sessions by itself; ``sessions_clear`` runs its ``clearsessions`` command daily from Celery beat
(``CELERY_BEAT_SCHEDULE`` in ``config/settings.py``).
"""
from __future__ import annotations

from celery import shared_task
from django.core.management import call_command
from django.db import DatabaseError


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def sessions_clear(self) -> None:
    """Delete expired sessions (whatever ``SESSION_ENGINE`` is; a no-op for cache-only engines)."""
    try:
        call_command("clearsessions")
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc
