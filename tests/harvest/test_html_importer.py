"""HtmlForumImporter end to end over real HTTP: each preset's fixture forum, 404s, bad pages, resume."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.fixture_server import FixtureServer
from harvest.engine.http import PoliteClient
from harvest.engine.importers.html import HtmlForumImporter
from harvest.engine.records import Checkpoint, DeletedRecord, ItemError, ThreadRecord

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "fixtures" / "harvest" / "html"

# preset -> (thread-list path, the two-page thread's id, all thread ids in list order)
FORUMS = {
    "phpbb": ("/viewforum.php?f=2", "101", [str(n) for n in range(101, 107)]),
    "vbulletin": ("/forumdisplay.php?f=3", "201", [str(n) for n in range(201, 207)]),
    "xenforo": ("/forums/router-support.4/", "301", [str(n) for n in range(301, 307)]),
    "askbot": ("/en/questions/scope:all/sort:activity-desc/", "401", [str(n) for n in range(401, 407)]),
    "discourse_crawler": ("/latest", "501", [str(n) for n in range(501, 507)]),
}


def serve(preset: str) -> FixtureServer:
    """A server for one fixture forum; ``dir/index.html`` answers ``/dir/``.

    Files next to an ``index.html`` (``dir/?page=2``) get routes too, because a
    route for ``/dir/`` would otherwise also answer ``/dir/?page=2``.
    """
    root = HTML / preset
    server = FixtureServer(root)
    for index in root.rglob("index.html"):
        folder = index.parent
        prefix = "/" + folder.relative_to(root).as_posix() + "/"
        server.route(prefix, file=index, content_type="text/html; charset=utf-8")
        for sibling in folder.iterdir():
            if sibling.is_file() and sibling.name != "index.html":
                server.route(prefix + sibling.name, file=sibling, content_type="text/html; charset=utf-8")
    return server


def harvest(server: FixtureServer, preset: str, checkpoint=None, **options):
    client = PoliteClient(delay=0.0, timeout=3.0, max_retries=1, sleep=lambda s: None)
    importer = HtmlForumImporter(server.url(FORUMS[preset][0]), client=client, preset=preset, **options)
    return list(importer.iter_records(checkpoint))


@pytest.mark.parametrize("preset", sorted(FORUMS))
def test_each_preset_harvests_every_thread_complete(preset):
    start, long_id, ids = FORUMS[preset]
    with serve(preset) as server:
        pairs = harvest(server, preset, license="CC BY-SA 4.0")
        seen = server.seen_paths()
    records = [r for r, _ in pairs]
    assert all(isinstance(r, ThreadRecord) for r in records), records
    assert [r.external_id for r in records] == ids
    long = records[0]
    assert long.external_id == long_id and long.complete
    assert len(long.posts) == 5 and long.answer_count == 4  # both pages merged
    assert long.posts[0].is_question and long.posts[0].thread_external_id == long_id
    assert all(p.author_name and p.created_at and p.body_html for p in long.posts)
    assert long.license == "CC BY-SA 4.0" and long.url.startswith(server.base_url)
    assert "/robots.txt" in seen
    # Cursor after the last thread: on the second list page, its three threads done.
    last_cursor = pairs[-1][1]
    assert last_cursor["done"] == ids[3:] and last_cursor["list_url"] != server.url(start)
    json.dumps(last_cursor)  # stored as JSON by the caller


def test_thread_gone_with_404_becomes_deleted_record():
    with serve("phpbb") as server:
        server.route("/viewtopic.php?f=2&t=103", status=404, body="The requested topic does not exist.")
        records = [r for r, _ in harvest(server, "phpbb")]
    deleted = [r for r in records if isinstance(r, DeletedRecord)]
    assert len(deleted) == 1 and deleted[0].thread_external_id == "103" and "404" in deleted[0].reason
    assert [r.external_id for r in records if isinstance(r, ThreadRecord)] == ["101", "102", "104", "105", "106"]


def test_one_bad_thread_is_an_item_error_and_the_run_goes_on():
    with serve("xenforo") as server:
        bad = "/threads/factory-reset-beacon-only-not-the-whole-mesh.302/"
        server.route(bad, body="<html><body><h1>Oops! We ran into some problems.</h1></body></html>",
                     content_type="text/html; charset=utf-8")
        server.route("/threads/port-forwarding-rule-greyed-out.303/", status=500, body="boom")
        pairs = harvest(server, "xenforo")
    errors = [r for r, _ in pairs if isinstance(r, ItemError)]
    assert [e.item for e in errors] == [server.url(bad), server.url("/threads/port-forwarding-rule-greyed-out.303/")]
    assert "no posts matched selector" in errors[0].message and "500" in errors[1].message
    assert [r.external_id for r, _ in pairs if isinstance(r, ThreadRecord)] == ["301", "304", "305", "306"]


def test_resume_from_cursor_neither_redoes_nor_loses_threads():
    with serve("vbulletin") as server:
        first_run = harvest(server, "vbulletin", max_threads=4)  # "killed" after four threads
        assert [r.external_id for r, _ in first_run] == ["201", "202", "203", "204"]
        cursor = first_run[-1][1]
        assert cursor == {"list_url": server.url("/forumdisplay.php?f=3&page=2"), "done": ["204"]}
        server.requests.clear()

        second_run = harvest(server, "vbulletin", checkpoint=Checkpoint(cursor=json.loads(json.dumps(cursor))))
        fetched = server.seen_paths()
    assert [r.external_id for r, _ in second_run] == ["205", "206"]
    assert not any("t=201" in p or "t=204" in p for p in fetched)
    assert "/forumdisplay.php?f=3" not in fetched  # started at the saved list page


def test_resume_in_the_middle_of_the_first_list_page():
    with serve("discourse_crawler") as server:
        start = server.url("/latest")
        pairs = harvest(server, "discourse_crawler", checkpoint={"list_url": start, "done": ["501", "502"]})
    assert [r.external_id for r, _ in pairs] == ["503", "504", "505", "506"]
    assert pairs[0][1] == {"list_url": start, "done": ["501", "502", "503"]}


def test_unreadable_thread_list_is_reported_not_swallowed():
    with serve("askbot") as server:
        server.route("/en/questions/scope:all/sort:activity-desc/", body="<html><p>Page not found</p></html>",
                     content_type="text/html; charset=utf-8")
        pairs = harvest(server, "askbot")
    assert len(pairs) == 1
    error, cursor = pairs[0]
    assert isinstance(error, ItemError) and "no thread rows matched selector" in error.message
    assert cursor is None
