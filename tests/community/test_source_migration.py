"""Sources moved from the harvest app into the thread store: a database from before the move keeps every row.

The test database is migrated back to the last state with ``harvest.Source``, filled
there through the historical models, then migrated forward: the same sources, with
their threads, links, runs, fetched pages and permissions, are found through today's models.
"""
from __future__ import annotations

import pytest

from tests.migrations import migrate, migrate_latest

BEFORE = [("community", "0001_initial"), ("harvest", "0002_run_worker")]


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_found_after_it():
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Source = old.get_model("harvest", "Source")
        forum = Source.objects.create(name="Owners forum", slug="owners-forum", kind="discourse",
                                      base_url="https://forum.example.invalid", trust=0.4, checkpoint={"since": "x"})
        thread = old.get_model("community", "Thread").objects.create(
            source=forum, external_id="t-1", title="Beacon keeps dropping off the mesh")
        old.get_model("community", "ThreadLink").objects.create(
            source=forum, from_external_id="t-1", to_external_id="t-2", kind="duplicate")
        run = old.get_model("harvest", "HarvestRun").objects.create(source=forum, status="succeeded", new_count=1)
        old.get_model("harvest", "FetchedPage").objects.create(source=forum, url="https://forum.example.invalid/latest.json",
                                                                etag='"v1"')
        source_type = old.get_model("contenttypes", "ContentType").objects.get(app_label="harvest", model="source")
        view_source = old.get_model("auth", "Permission").objects.get(content_type=source_type, codename="view_source")
        reader = old.get_model("community", "User").objects.create(username="reader", email="reader@example.com")
        reader.user_permissions.add(view_source)
    finally:
        executor = migrate_latest()

    from community.models import Source as NewSource, Thread, ThreadLink, User
    from harvest.models import FetchedPage, HarvestRun

    moved = NewSource.objects.get(slug="owners-forum")
    assert (moved.pk, moved.name, moved.kind, moved.trust, moved.checkpoint) == (
        forum.pk, "Owners forum", "discourse", 0.4, {"since": "x"})
    assert Thread.objects.get(pk=thread.pk).source == moved
    assert ThreadLink.objects.get(source=moved).to_external_id == "t-2"
    assert HarvestRun.objects.get(pk=run.pk).source == moved
    assert list(moved.runs.values_list("new_count", flat=True)) == [1]
    assert FetchedPage.objects.get(source=moved).etag == '"v1"'
    assert User.objects.get(username="reader").has_perm("community.view_source")
