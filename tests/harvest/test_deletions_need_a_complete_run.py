"""A run marks threads and posts deleted only when it read its whole input and failed no
item: a truncated or damaged dump, or a Discourse or HTML crawl cut short, hides nothing.
A complete Stack Exchange run marks deleted the questions *and* the answers the newer
dump no longer holds."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from bench.harvest_damaged import bad_bytes, truncate  # the same damage the benchmark measures
from community.models import Post, Thread
from demo.fixture_server import FixtureServer, Reply
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "harvest"
HEARTHLINK = FIXTURES / "stackexchange" / "hearthlink"
DISCOURSE = FIXTURES / "discourse" / "site"
HTML = FIXTURES / "html"
LATER = "2026-03-05T09:00:00.000Z"


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    settings.SEARCH_AUTO_INDEX = False  # harvesting only; no eager embedding of harvested threads
    settings.KB_AUTO_CLUSTER = False


def visible(source) -> tuple[int, int]:
    return (Thread.objects.filter(source=source, is_deleted=False).count(),
            Post.objects.filter(thread__source=source, is_deleted=False).count())


def assert_nothing_hidden(run: HarvestRun, source, before: tuple[int, int]) -> None:
    assert run.status == HarvestRun.Status.PARTIAL, run.message
    assert run.deleted_count == 0
    assert visible(source) == before
    assert "not read to the end" in run.message and "nothing was marked deleted" in run.message
    assert run.errors.filter(item__contains="Posts.xml").exists()


@pytest.mark.parametrize("damage", [truncate, bad_bytes], ids=["truncated", "bad-bytes"])
def test_damaged_dump_marks_nothing_deleted_and_says_why(tmp_path, damage):
    dump = tmp_path / "dump"
    shutil.copytree(HEARTHLINK, dump)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(dump))
    assert source_harvest(source=source).status == HarvestRun.Status.SUCCEEDED
    before = visible(source)
    damage(dump / "Posts.xml")

    run = source_harvest(source=source)

    assert_nothing_hidden(run, source, before)


def test_damaged_beer_dump_marks_nothing_deleted(shared_data, tmp_path):
    beer = shared_data / "stackexchange-beer"
    if not beer.is_dir():
        pytest.skip(f"stackexchange-beer not found in {shared_data}: set GLEANER_SHARED_DATA")
    dump = tmp_path / "beer"
    dump.mkdir()
    for name in ("Posts.xml", "Users.xml", "PostLinks.xml"):
        shutil.copyfile(beer / name, dump / name)
    source = source_create(name="Beer", kind="stackexchange", path=str(dump))
    source_harvest(source=source)
    before = visible(source)
    assert before[0] == 1029
    (dump / "Posts.xml").chmod(0o644)
    truncate(dump / "Posts.xml")

    run = source_harvest(source=source)

    assert_nothing_hidden(run, source, before)


def test_answer_gone_from_a_newer_dump_is_marked_deleted(tmp_path, client):
    dump = tmp_path / "dump"
    shutil.copytree(HEARTHLINK, dump)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(dump))
    source_harvest(source=source)
    answer = Post.objects.get(thread__source=source, external_id="3")
    posts = dump / "Posts.xml"
    kept = [line for line in posts.read_text("utf-8").splitlines(keepends=True) if '<row Id="3" ' not in line]
    posts.write_text("".join(kept), "utf-8")

    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.SUCCEEDED, run.message
    answer.refresh_from_db()
    assert answer.is_deleted and run.deleted_count == 1
    assert not answer.thread.is_deleted
    page = client.get(reverse("community:question", args=[answer.thread_id])).content.decode()
    assert answer.body not in page
    assert Post.objects.get(thread__source=source, external_id="2").body in page


def _bump(root: Path, topic_id: int, when: str = LATER) -> None:
    latest = root / "latest.json"
    listing = json.loads(latest.read_text("utf-8"))
    topics = listing["topic_list"]["topics"]
    (topic,) = [t for t in topics if t["id"] == topic_id]
    topic["bumped_at"] = topic["last_posted_at"] = when
    topics.remove(topic)
    topics.insert(1, topic)
    latest.write_text(json.dumps(listing), "utf-8")


def test_discourse_run_with_a_failed_topic_deletes_nothing_until_a_clean_run(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(DISCOURSE, root)
    with FixtureServer(root) as server:
        source = source_create(name="Hearthlink forum", kind="discourse", base_url=server.base_url,
                               options={"delay": 0, "timeout": 1, "max_retries": 0})
        source_harvest(source=source)
        before = visible(source)
        _bump(root, 104)
        _bump(root, 105)
        (root / "t" / "104.json").unlink()
        server.script("/t/105.json", [Reply(500, body="boom")])

        cut = source_harvest(source=source)

        assert cut.status == HarvestRun.Status.PARTIAL and cut.deleted_count == 0
        assert "nothing was marked deleted" in cut.message
        assert visible(source) == before

        # Met again by a run that fails nothing, the 404 is trusted.
        _bump(root, 104, "2026-03-06T09:00:00.000Z")
        clean = source_harvest(source=source)
    assert clean.status == HarvestRun.Status.SUCCEEDED, clean.message
    assert Thread.objects.get(source=source, external_id="104").is_deleted and clean.deleted_count == 1


def test_html_crawl_with_a_failed_thread_deletes_nothing(tmp_path):
    root = HTML / "vbulletin"
    page = "text/html; charset=utf-8"
    with FixtureServer(root) as server:
        for index in root.rglob("index.html"):
            prefix = "/" + index.parent.relative_to(root).as_posix() + "/"
            server.route(prefix, file=index, content_type=page)
        source = source_create(name="Board", kind="html", preset="vbulletin",
                               base_url=server.url("/forumdisplay.php?f=3"),
                               options={"delay": 0, "timeout": 2, "max_retries": 0})
        source_harvest(source=source)
        before = visible(source)
        server.route("/showthread.php?t=203", status=404, body="Invalid thread specified.")
        server.route("/showthread.php?t=204", status=500, body="database error")

        run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.PARTIAL and run.deleted_count == 0
    assert not Thread.objects.get(source=source, external_id="203").is_deleted
    assert visible(source) == before
