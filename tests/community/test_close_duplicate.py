"""Closing as a duplicate shows both questions, asks first, and advises which one to keep."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Post, Thread


@pytest.fixture
def pair(db, community_source):
    old = Thread.objects.create(source=community_source, title="Beacon light stays amber after the update",
                                view_count=960, answer_count=2, created_at=timezone.now() - timedelta(days=900))
    Post.objects.create(thread=old, is_question=True, body="Amber since the update.")
    Post.objects.create(thread=old, body="Re-pair it from the app.", is_accepted=True)
    Post.objects.create(thread=old, body="Move it closer.")
    new = Thread.objects.create(source=community_source, title="amber beacon??", created_at=timezone.now())
    Post.objects.create(thread=new, is_question=True, body="Amber light.")
    return old, new


def test_one_click_no_longer_closes(pair, editor, client_for):
    old, new = pair
    client = client_for(editor)
    response = client.post(f"/posts/{old.question.pk}/moderate/", {"action": "close_duplicate", "original": new.pk})
    assert response.status_code == 302 and "/close-duplicate/" in response["Location"]
    old.refresh_from_db()
    assert not old.is_closed


def test_confirmation_shows_the_target_and_advises_the_swap(pair, editor, client_for):
    old, new = pair
    client = client_for(editor)
    html = client.get(f"/posts/{old.question.pk}/close-duplicate/?original={new.pk}").content.decode()
    assert "amber beacon??" in html and "960" in html
    assert "The other direction looks better" in html and f"#{old.pk} is better answered (2 answers, one accepted)" in html
    assert f"/posts/{new.question.pk}/close-duplicate/?original={old.pk}" in html

    swapped = client.get(f"/posts/{new.question.pk}/close-duplicate/?original={old.pk}").content.decode()
    assert "The other direction looks better" not in swapped

    client.post(f"/posts/{new.question.pk}/moderate/", {"action": "close_duplicate", "original": old.pk, "confirm": "1"})
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.is_closed and new.duplicate_of == old and not old.is_closed


def test_as_well_answered_keeps_the_older(pair, db):
    from community.selectors import duplicate_choice

    old, new = pair
    Post.objects.filter(thread=old, is_question=False).delete()
    Thread.objects.filter(pk=old.pk).update(answer_count=0)
    old.refresh_from_db()
    choice = duplicate_choice(thread=old, original=new)
    assert choice.swap_advised and choice.reason == f"#{old.pk} is older and as well answered"
