"""A Discourse forum through ``source_harvest`` over real HTTP: end to end, incremental
runs, edits, topics and posts deleted at the source, broken JSON, 404/500/timeout/429,
and the page cap."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from community.models import Post, PostRevision, Thread
from demo.fixture_server import FixtureServer, Reply
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest

pytestmark = pytest.mark.django_db

SITE = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "discourse" / "site"
GOOD = {str(n) for n in range(100, 110)}
LATER = "2026-03-05T09:00:00.000Z"


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    """Harvest tests are about harvesting: the search and KB apps' eager indexing and
    clustering of changed threads would embed every harvested thread with the real model."""
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False


@pytest.fixture
def site(tmp_path):
    """A copy of the fixture forum that a test may change between runs."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    with FixtureServer(root) as server:
        yield server


def add_forum(server: FixtureServer, **options):
    settings = {"delay": 0, "timeout": 1, "max_retries": 0}
    settings.update(options)
    return source_create(name="Hearthlink forum", kind="discourse", base_url=server.base_url,
                         license="CC BY-NC-SA 4.0", options=settings)


def topic_fetches(server: FixtureServer) -> list[str]:
    return [p for p in server.seen_paths() if p.startswith("/t/") and p.endswith(".json") and p.count("/") == 2]


def bump(server: FixtureServer, topic_id: int, change=None) -> None:
    """Make ``topic_id`` the most recently active topic, optionally editing its JSON."""
    latest = server.root / "latest.json"
    listing = json.loads(latest.read_text("utf-8"))
    topics = listing["topic_list"]["topics"]
    (topic,) = [t for t in topics if t["id"] == topic_id]
    topic["bumped_at"] = topic["last_posted_at"] = LATER
    topics.remove(topic)
    topics.insert(1, topic)  # Discourse lists by last activity, after the pinned topic
    latest.write_text(json.dumps(listing), "utf-8")
    if change is not None:
        path = server.root / "t" / f"{topic_id}.json"
        data = json.loads(path.read_text("utf-8"))
        change(data)
        path.write_text(json.dumps(data), "utf-8")


def test_forum_is_harvested_with_authors_accepted_answers_and_license(site):
    source = add_forum(site)
    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.PARTIAL  # two topics are broken JSON
    assert set(Thread.objects.filter(source=source).values_list("external_id", flat=True)) == GOOD
    assert run.new_count == Post.objects.filter(thread__source=source).count() > 30
    items = sorted(run.errors.values_list("item", flat=True))
    assert [item.rsplit("/", 1)[1] for item in items] == ["110.json", "111.json"]
    assert all("topic unreadable" in m for m in run.errors.values_list("message", flat=True))

    reset = Thread.objects.get(source=source, external_id="103")
    assert reset.title == "How do I factory reset my H1 router?" and reset.author_name == "netnovice"
    assert reset.license == "CC BY-NC-SA 4.0"
    assert reset.posts.get(is_accepted=True).external_id == "10302"
    # Accepted answer named on the topic only (Solved plugin field) still marks the post.
    assert Thread.objects.get(source=source, external_id="102").posts.get(is_accepted=True).external_id == "10203"
    long = Thread.objects.get(source=source, external_id="101")
    assert long.posts.count() >= 21  # beyond the first 20 posts of the stream


def test_hostile_cooked_bodies_are_sanitized_in_store_and_page(site, client):
    source = add_forum(site)
    source_harvest(source=source)
    hostile = Thread.objects.get(source=source, external_id="109")
    for body in hostile.posts.values_list("body", flat=True):
        assert "<script" not in body and "onerror" not in body and "javascript:" not in body
    html = client.get(reverse("community:question", args=[hostile.pk])).content.decode()
    assert "<script>alert" not in html and "onerror=" not in html


def test_second_run_fetches_no_topic_and_changes_nothing(site):
    source = add_forum(site)
    source_harvest(source=source)
    before = sorted(Post.objects.values_list("id", "content_hash", "body"))
    site.requests.clear()

    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.SUCCEEDED, (run.message, list(run.errors.values_list("message")))
    assert topic_fetches(site) == []
    assert (run.new_count, run.updated_count, run.failed_count) == (0, 0, 0)
    assert sorted(Post.objects.values_list("id", "content_hash", "body")) == before


def test_incremental_run_fetches_only_the_bumped_topic_and_keeps_the_edit_history(site):
    source = add_forum(site)
    source_harvest(source=source)
    old = Post.objects.get(thread__source=source, external_id="10702")

    def edit(data):
        data["post_stream"]["posts"][1]["cooked"] = "<p>Switch the 5 GHz channel width to 80 MHz.</p>"
    bump(site, 107, edit)
    site.requests.clear()
    run = source_harvest(source=source)

    assert topic_fetches(site) == ["/t/107.json"]
    assert (run.new_count, run.updated_count) == (0, 1)
    assert run.unchanged_count == 2
    edited = Post.objects.get(pk=old.pk)
    assert "80 MHz" in edited.body
    assert PostRevision.objects.get(post=edited).body == old.body


def test_post_missing_from_a_complete_topic_is_marked_deleted(site, client):
    source = add_forum(site)
    source_harvest(source=source)

    def drop_last(data):
        data["post_stream"]["posts"].pop()
        data["post_stream"]["stream"].pop()
        data["posts_count"] -= 1
    bump(site, 107, drop_last)
    run = source_harvest(source=source)

    gone = Post.objects.get(thread__source=source, external_id="10703")
    assert gone.is_deleted and run.deleted_count == 1
    page = client.get(reverse("community:question", args=[gone.thread_id])).content.decode()
    assert gone.body not in page
    assert Post.objects.get(thread__source=source, external_id="10702").body in page


def test_topic_that_now_404s_is_marked_deleted(site, client):
    source = add_forum(site)
    source_harvest(source=source)
    bump(site, 104)
    (site.root / "t" / "104.json").unlink()

    run = source_harvest(source=source)

    thread = Thread.objects.get(source=source, external_id="104")
    assert thread.is_deleted and run.deleted_count == 1
    assert client.get(reverse("community:question", args=[thread.pk])).status_code == 404


@pytest.mark.parametrize("reply, expected", [
    (Reply(500, body="boom"), "server error 500"),
    (Reply(200, body="{}", delay=1.5), "timed out"),
    (Reply(429, headers={"Retry-After": "3600"}), "RateLimited"),
])
def test_server_trouble_on_a_topic_is_recorded_and_nothing_is_lost(site, reply, expected):
    source = add_forum(site)
    first = source_harvest(source=source)
    stored = Post.objects.filter(thread__source=source).count()
    bump(site, 105)
    site.script("/t/105.json", [reply])

    run = source_harvest(source=source)

    assert run.status in (HarvestRun.Status.PARTIAL, HarvestRun.Status.FAILED)
    text = run.message + " ".join(run.errors.values_list("message", flat=True))
    assert expected in text, text
    assert Post.objects.filter(thread__source=source, is_deleted=False).count() == stored
    assert first.new_count == stored


def test_rate_limit_with_a_short_retry_after_is_waited_out(site):
    source = add_forum(site, max_retries=2)
    site.script("/t/103.json", [Reply(429, headers={"Retry-After": "0"}), Reply(200, file=SITE / "t" / "103.json")])
    run = source_harvest(source=source)
    assert Thread.objects.filter(source=source, external_id="103").exists()
    assert topic_fetches(site).count("/t/103.json") == 2
    assert run.failed_count == 2  # only the two broken-JSON topics


def test_page_cap_stops_the_run_and_the_next_run_continues(site):
    source = add_forum(site, max_pages=5)
    first = source_harvest(source=source)
    assert first.status == HarvestRun.Status.FAILED and "page cap" in first.message
    partial = Thread.objects.filter(source=source).count()
    assert 0 < partial < len(GOOD)

    source.settings = {**source.settings, "max_pages": 100}
    source.save()
    source_harvest(source=source)
    assert set(Thread.objects.filter(source=source).values_list("external_id", flat=True)) == GOOD
