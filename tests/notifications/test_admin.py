"""Admins read notifications, follows and preferences in the admin, and change none of them there."""
from __future__ import annotations

import pytest

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_admins_find_who_was_told_what(client_for, admin_user, alice, bob, asked, on_commit):
    from community.services import answer_create

    with on_commit():
        answer_create(author=bob, thread=asked, body="Move the Beacon halfway between the H1 and the dead spot.")
    client = client_for(admin_user)
    page = client.get("/admin/notifications/notification/?q=alice").content.decode()
    assert f"bob answered “{asked.title}”" in page
    note = Notification.objects.get(user=alice)
    change = client.get(f"/admin/notifications/notification/{note.pk}/change/").content.decode()
    assert 'name="text"' not in change
    assert client.get("/admin/notifications/notification/add/").status_code == 403
    assert "asked" in client.get("/admin/notifications/follow/").content.decode()
    assert client.get("/admin/notifications/preference/").status_code == 200
