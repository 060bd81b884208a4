"""PostgreSQL's bulk ``COPY`` store writes exactly what the ORM store writes.

One dump is harvested into two sources, one with ``HARVEST_BULK_COPY`` on and one with
it off, then edited (a new title and tags, a changed answer, a moved accepted mark,
an edited comment, a question gone) and harvested again; every stored field readers can see
must match. On PostgreSQL this compares the two writers; on SQLite both sources go
through the ORM writer, so the test still checks the generic path end to end.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.db import connection

from community.models import Comment, Post, PostRevision, Thread, ThreadLink
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest
from harvest.store import writer_for

pytestmark = pytest.mark.django_db

HEARTHLINK = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"
COUNTS = ("status", "new_count", "updated_count", "unchanged_count", "deleted_count", "failed_count")


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False


def stored(source) -> dict:
    """Everything harvesting stored for ``source``, keyed by external ids (row ids and
    write times differ between two sources by nature)."""
    threads = {
        row.pop("external_id"): row
        for row in Thread.objects.filter(source=source).values(
            "external_id", "title", "url", "author_id", "author_name", "created_at", "last_activity_at", "score",
            "view_count", "answer_count", "license", "status", "is_hidden", "is_locked", "is_closed",
            "closed_reason", "duplicate_of__external_id", "duplicate_of_external_id", "accepted_post_external_id",
            "is_deleted", "content_hash", "search_dirty")
    }
    for thread in Thread.objects.filter(source=source).prefetch_related("tags"):
        threads[thread.external_id]["tags"] = sorted(tag.name for tag in thread.tags.all())
    posts = {
        (row.pop("thread__external_id"), row.pop("external_id")): row
        for row in Post.objects.filter(thread__source=source).values(
            "thread__external_id", "external_id", "is_question", "author_id", "author_name", "body", "body_format",
            "url", "created_at", "edited_at", "score", "is_accepted", "license", "status", "is_hidden",
            "is_deleted", "content_hash")
    }
    comments = {
        (row.pop("post__external_id"), row.pop("external_id")): row
        for row in Comment.objects.filter(post__thread__source=source).values(
            "post__external_id", "external_id", "author_id", "author_name", "body", "created_at", "score",
            "is_hidden")
    }
    # A revision's date is the replaced version's edit date, else the time of the harvest.
    revisions = sorted(PostRevision.objects.filter(post__thread__source=source).values_list(
        "post__external_id", "number", "editor_id", "editor_name", "title", "body", "tags", "reason"))
    links = sorted(ThreadLink.objects.filter(source=source).values_list("from_external_id", "to_external_id", "kind"))
    return {"threads": threads, "posts": posts, "comments": comments, "revisions": revisions, "links": links}


def harvest_both(bulk, generic, settings, **options) -> tuple[tuple, tuple]:
    counts = []
    for source, bulk_copy in ((bulk, True), (generic, False)):
        settings.HARVEST_BULK_COPY = bulk_copy
        run = source_harvest(source=source, **options)
        counts.append(tuple(getattr(run, name) for name in COUNTS))
        counts[-1] += (sorted(run.errors.values_list("item", "message")),)
    return counts[0], counts[1]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_bulk_copy_store_matches_the_orm_store_through_edits_and_deletions(tmp_path, settings):
    dump = tmp_path / "dump"
    shutil.copytree(HEARTHLINK, dump)
    bulk = source_create(name="Hearthlink by COPY", kind="stackexchange", path=str(dump))
    generic = source_create(name="Hearthlink by ORM", kind="stackexchange", path=str(dump))
    settings.HARVEST_BULK_COPY = True
    expected_writer = "PostgresWriter" if connection.vendor == "postgresql" else "OrmWriter"
    assert type(writer_for(bulk)).__name__ == expected_writer
    settings.HARVEST_BULK_COPY = False
    assert type(writer_for(generic)).__name__ == "OrmWriter"

    first_bulk, first_generic = harvest_both(bulk, generic, settings)
    assert first_bulk == first_generic == (HarvestRun.Status.SUCCEEDED, 75, 0, 0, 0, 0, [])
    assert stored(bulk) == stored(generic)

    Thread.objects.update(search_dirty=False)  # as if the search index had caught up
    posts = dump / "Posts.xml"
    edit(posts, 'Title="Firmware update stuck at 60% for an hour"', 'Title="Firmware update stuck at 60%"')
    edit(posts, "Hold the recessed reset button on the back for", "Press and hold the small reset button for")
    edit(posts, 'Id="1" PostTypeId="1" AcceptedAnswerId="2"', 'Id="1" PostTypeId="1" AcceptedAnswerId="3"')
    edit(posts, "Tags=\"&lt;beacon&gt;&lt;mesh&gt;&lt;connectivity&gt;\"", "Tags=\"&lt;beacon&gt;&lt;night-drops&gt;\"")
    posts.write_text("".join(line for line in posts.read_text("utf-8").splitlines(keepends=True)
                             if '<row Id="69" ' not in line), "utf-8")
    edit(dump / "Comments.xml", "15 seconds did it, the ring blinked white.", "15 seconds did it.")

    second_bulk, second_generic = harvest_both(bulk, generic, settings)
    # Thread 1 retagged, answer 2 loses and 3 gains its accepted mark; answer 5 (thread 4)
    # edited; thread 22 retitled (no post changed); question 69 gone.
    assert second_bulk == second_generic == (HarvestRun.Status.SUCCEEDED, 0, 3, 71, 1, 0, [])
    after = stored(bulk)
    assert after == stored(generic)
    assert after["posts"][("1", "3")]["is_accepted"] and not after["posts"][("1", "2")]["is_accepted"]
    assert after["threads"]["1"]["tags"] == ["beacon", "night-drops"]
    assert after["threads"]["69"]["is_deleted"]
    assert after["comments"][("5", "13")]["body"] == "15 seconds did it."
    assert after["threads"]["22"]["title"] == "Firmware update stuck at 60%"
    assert {ext for ext, thread in after["threads"].items() if thread["search_dirty"]} == {"1", "4", "22", "69"}
    assert [(post, number) for post, number, *_ in after["revisions"]] == [("5", 1)]
    assert "Hold the recessed reset button" in after["revisions"][0][5]

    rescan_bulk, rescan_generic = harvest_both(bulk, generic, settings, force=True)
    assert rescan_bulk == rescan_generic == (HarvestRun.Status.SUCCEEDED, 0, 0, 74, 0, 0, [])
    assert stored(bulk) == after


def test_a_post_the_database_refuses_fails_alone_on_both_paths(tmp_path, settings):
    dump = tmp_path / "dump"
    shutil.copytree(HEARTHLINK, dump)
    # Beyond PostgreSQL's integer column (SQLite stores 64-bit integers and takes it).
    edit(dump / "Posts.xml", '<row Id="6" PostTypeId="2" ParentId="4" CreationDate="2011-02-15T12:00:00.000" Score="4"',
         '<row Id="6" PostTypeId="2" ParentId="4" CreationDate="2011-02-15T12:00:00.000" Score="3000000000"')
    bulk = source_create(name="Hearthlink by COPY", kind="stackexchange", path=str(dump))
    generic = source_create(name="Hearthlink by ORM", kind="stackexchange", path=str(dump))

    by_copy, by_orm = harvest_both(bulk, generic, settings)

    assert by_copy[:-1] == by_orm[:-1]
    assert [item for item, _message in by_copy[-1]] == [item for item, _message in by_orm[-1]]
    if connection.vendor == "postgresql":
        assert by_copy[:-1] == (HarvestRun.Status.PARTIAL, 74, 0, 0, 0, 1)
        assert by_copy[-1][0][0] == "post 6" and by_copy[-1][0][1].startswith("could not be stored")
    else:
        assert by_copy == (HarvestRun.Status.SUCCEEDED, 75, 0, 0, 0, 0, [])
    assert stored(bulk) == stored(generic)
    assert ("4", "5") in stored(bulk)["posts"]  # the rest of its batch is kept


@pytest.mark.shared_data
def test_bulk_copy_store_matches_the_orm_store_on_a_real_dump(shared_data, settings):
    dump = shared_data / "stackexchange-cardano"
    if not dump.is_dir():
        pytest.skip(f"no {dump.name} in {shared_data}")
    bulk = source_create(name="Cardano by COPY", kind="stackexchange", path=str(dump))
    generic = source_create(name="Cardano by ORM", kind="stackexchange", path=str(dump))

    runs = harvest_both(bulk, generic, settings)

    assert runs[0] == runs[1] and runs[0][1] == 2538  # 1,042 questions + 1,496 answers (SOURCE.md)
    assert stored(bulk) == stored(generic)
