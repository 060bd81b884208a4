"""Support housekeeping: expired sessions are deleted by a daily Celery beat task."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from support.tasks import sessions_clear

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_cleared_and_live_ones_kept(client):
    # A real anonymous help-center session (the contact form remembers what was sent) ...
    response = client.post("/help/contact/", {"name": "Sam", "email": "visitor@example.org",
                                              "subject": "Guest network", "message": "No internet for guests."})
    assert response.status_code == 302
    visitor = client.session.session_key
    # ... that has expired, next to one that has not.
    Session.objects.filter(session_key=visitor).update(expire_date=timezone.now() - timedelta(days=1))
    live = SessionStore()
    live["help_search_terms"] = ["beacon"]
    live.create()

    sessions_clear.delay().get()

    assert not Session.objects.filter(session_key=visitor).exists()
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_beat_runs_the_task_daily():
    from config.celery import app

    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == "support.tasks.sessions_clear"]
    assert len(entries) == 1 and entries[0]["schedule"] == 24 * 60 * 60
    assert "support.tasks.sessions_clear" in app.tasks
