"""HTML forums through ``source_harvest`` over real HTTP: every preset end to end,
conditional GET on the next run, the generic preset, and broken or hostile pages."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from community.models import Post, Thread
from demo.fixture_server import FixtureServer
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest

pytestmark = pytest.mark.django_db

HTML = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "html"
FORUMS = {  # preset -> (thread list, the two-page thread, every thread)
    "phpbb": ("/viewforum.php?f=2", "101", [str(n) for n in range(101, 107)]),
    "vbulletin": ("/forumdisplay.php?f=3", "201", [str(n) for n in range(201, 207)]),
    "xenforo": ("/forums/router-support.4/", "301", [str(n) for n in range(301, 307)]),
    "askbot": ("/en/questions/scope:all/sort:activity-desc/", "401", [str(n) for n in range(401, 407)]),
    "discourse_crawler": ("/latest", "501", [str(n) for n in range(501, 507)]),
}
PAGE = "text/html; charset=utf-8"



@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    """Harvest tests are about harvesting: the search and KB apps' eager indexing and
    clustering of changed threads would embed every harvested thread with the real model."""
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False

def serve(preset: str) -> FixtureServer:
    """The preset's fixture forum; ``dir/index.html`` (and its siblings) answer ``/dir/…``."""
    root = HTML / preset
    server = FixtureServer(root)
    for index in root.rglob("index.html"):
        prefix = "/" + index.parent.relative_to(root).as_posix() + "/"
        server.route(prefix, file=index, content_type=PAGE)
        for sibling in index.parent.iterdir():
            if sibling.is_file() and sibling.name != "index.html":
                server.route(prefix + sibling.name, file=sibling, content_type=PAGE)
    return server


def add_forum(server: FixtureServer, preset: str, **options):
    settings = {"delay": 0, "timeout": 2, "max_retries": 0, **options}
    return source_create(name=f"Hearthlink {preset} board", kind="html", preset=preset,
                         base_url=server.url(FORUMS[preset][0]) if preset in FORUMS else server.base_url,
                         license="CC BY-SA 4.0", options=settings)


@pytest.mark.parametrize("preset", sorted(FORUMS))
def test_each_preset_is_harvested_end_to_end(preset):
    _start, long_id, ids = FORUMS[preset]
    with serve(preset) as server:
        source = add_forum(server, preset)
        run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.SUCCEEDED, (run.message, list(run.errors.values_list("message")))
    assert sorted(Thread.objects.filter(source=source).values_list("external_id", flat=True)) == ids
    long = Thread.objects.get(source=source, external_id=long_id)
    assert long.posts.count() == 5 and long.answer_count == 4  # both pages of the thread
    assert long.posts.filter(is_question=True).count() == 1
    assert run.new_count == Post.objects.filter(thread__source=source).count()
    for post in Post.objects.filter(thread__source=source):
        assert post.author_name and post.body and post.license == "CC BY-SA 4.0"
        assert "<script" not in post.body and " wrote:" not in post.body


@pytest.mark.parametrize("preset", ["phpbb", "xenforo"])
def test_next_run_uses_conditional_get_and_counts_304_threads_unchanged(preset):
    with serve(preset) as server:
        source = add_forum(server, preset)
        first = source_harvest(source=source)
        before = sorted(Post.objects.values_list("id", "content_hash"))
        server.requests.clear()
        second = source_harvest(source=source)
        conditional = [r for r in server.requests if "If-None-Match" in r.headers]

    assert conditional, "thread pages are asked for with the validators of the last run"
    assert (second.new_count, second.updated_count, second.deleted_count) == (0, 0, 0)
    assert second.unchanged_count == first.new_count
    assert sorted(Post.objects.values_list("id", "content_hash")) == before


GENERIC = {
    "thread_list": "ul.topics li", "thread_link": "a", "post": "div.reply", "body": "div.said",
    "author": "div.who", "date": "span.when", "date_attr": "data-ts", "date_formats": ["unix"],
    "accepted": ".best", "title": "h1.thread-heading", "quote": "blockquote", "signature": "div.sig",
    "next_page": "a.older", "post_id_attrs": ["data-reply"], "thread_id_pattern": r"topic-(\d+)\.html",
}


def test_generic_preset_from_selectors():
    with FixtureServer(HTML / "generic") as server:
        server.route("/board/", content_type=PAGE,
                     body='<html><body><ul class="topics"><li><a href="/board/topic-77.html">Beacon blinking red'
                          '</a></li></ul></body></html>')
        source = source_create(name="Home board", kind="html", preset="generic", base_url=server.url("/board/"),
                               options={"delay": 0, "timeout": 2, "max_retries": 0, "selectors": GENERIC})
        source_harvest(source=source)

    thread = Thread.objects.get(source=source, external_id="77")
    assert thread.title == "Beacon blinking red after power cut"
    accepted = thread.posts.get(is_accepted=True)
    assert accepted.author_name == "mod_oskar" and "lost its pairing" in accepted.body
    assert "wrote:" not in accepted.body and "Board moderator" not in accepted.body  # quote and signature gone


def test_hostile_page_is_sanitized_in_store_and_page(client):
    with serve("phpbb") as server:
        server.route("/viewtopic.php?f=2&t=103", file=HTML / "broken" / "hostile_phpbb_topic.html",
                     content_type=PAGE)
        source = add_forum(server, "phpbb")
        source_harvest(source=source)
    thread = Thread.objects.get(source=source, external_id="103")
    for body in thread.posts.values_list("body", flat=True):
        lowered = body.lower()
        for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<form", "style="):
            assert bad not in lowered, bad
    html = client.get(reverse("community:question", args=[thread.pk])).content.decode().lower()
    assert "<iframe" not in html and "javascript:" not in html and "onerror=" not in html


def test_page_matching_no_selector_is_recorded_and_the_rest_stored():
    with serve("phpbb") as server:
        server.route("/viewtopic.php?f=2&t=104", file=HTML / "broken" / "no_posts.html", content_type=PAGE)
        server.route("/viewtopic.php?f=2&t=105", status=500, body="boom")
        source = add_forum(server, "phpbb")
        run = source_harvest(source=source)
        bad_url = server.url("/viewtopic.php?f=2&t=104")

    assert run.status == HarvestRun.Status.PARTIAL and run.failed_count == 2
    errors = dict(run.errors.values_list("item", "message"))
    assert "no posts matched selector" in errors[bad_url]
    assert any("500" in message for message in errors.values())
    assert sorted(Thread.objects.filter(source=source).values_list("external_id", flat=True)) == [
        "101", "102", "103", "106"]


def test_truncated_page_keeps_the_posts_that_are_there():
    with serve("phpbb") as server:
        server.route("/viewtopic.php?f=2&t=102", file=HTML / "broken" / "truncated_phpbb_topic.html",
                     content_type=PAGE)
        source = add_forum(server, "phpbb")
        source_harvest(source=source)
    thread = Thread.objects.get(source=source, external_id="102")
    assert thread.posts.count() >= 3


def test_thread_that_now_404s_is_marked_deleted_and_a_list_error_loses_nothing():
    with serve("vbulletin") as server:
        source = add_forum(server, "vbulletin")
        source_harvest(source=source)
        stored = Post.objects.filter(thread__source=source).count()
        server.route("/showthread.php?t=203", status=404, body="Invalid thread specified.")
        run = source_harvest(source=source)
        assert Thread.objects.get(source=source, external_id="203").is_deleted and run.deleted_count == 1

        server.route("/forumdisplay.php?f=3", status=500, body="database error")
        broken = source_harvest(source=source)
    assert broken.status == HarvestRun.Status.PARTIAL and "500" in broken.errors.get().message
    assert Post.objects.filter(thread__source=source).count() == stored


def test_page_cap_is_recorded_on_the_run():
    with serve("xenforo") as server:
        source = add_forum(server, "xenforo", max_pages=4)
        run = source_harvest(source=source)
    assert "page cap of 4 reached" in " ".join(run.errors.values_list("message", flat=True))
    assert 0 < Thread.objects.filter(source=source).count() < 6
