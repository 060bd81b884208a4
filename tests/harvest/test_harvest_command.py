"""``manage.py harvest``: adding each kind of source, the summary table, clear errors."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from community.models import Source, Thread
from demo.fixture_server import FixtureServer
from harvest.models import HarvestRun

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "harvest"


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.SEARCH_AUTO_INDEX = False  # harvesting only; no eager embedding of harvested threads
    settings.KB_AUTO_CLUSTER = False
    settings.HARVEST_HOST_DELAY = 0.0
    settings.HARVEST_TIMEOUT = 2.0


def harvest(*args) -> str:
    out = StringIO()
    call_command("harvest", *args, "--quiet-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_add_stackexchange_dump_harvests_and_prints_a_summary():
    out = harvest("--add-stackexchange", str(FIXTURES / "stackexchange" / "hearthlink"),
                  "--name", "Hearthlink SE", "--site-url", "https://community.hearthlink.example")

    source = Source.objects.get(slug="hearthlink-se")
    assert "Added source 'hearthlink-se' (Stack Exchange data dump)." in out
    assert Thread.objects.filter(source=source).count() == 26
    lines = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert lines["new"] == "75" and lines["updated"] == "0" and lines["failed"] == "0"
    assert "Succeeded" in out and source.license == "CC BY-SA 4.0"

    again = harvest("hearthlink-se")
    assert "unchanged" in again and "75" in again


def test_add_discourse_forum():
    with FixtureServer(FIXTURES / "discourse" / "site") as server:
        out = harvest("--add-discourse", server.base_url, "--name", "Hearthlink forum")
    source = Source.objects.get(slug="hearthlink-forum")
    assert source.kind == Source.Kind.DISCOURSE
    assert Thread.objects.filter(source=source).count() == 10
    # Two broken topics: listed with the item that failed.
    assert "Finished with errors" in out and "! " in out and "110.json" in out and "topic unreadable" in out


def test_add_phpbb_forum():
    root = FIXTURES / "html" / "phpbb"
    with FixtureServer(root) as server:
        out = harvest("--add-html", server.url("/viewforum.php?f=2"), "--preset", "phpbb", "--name", "Old board")
    source = Source.objects.get(slug="old-board")
    assert (source.kind, source.preset) == (Source.Kind.HTML, "phpbb")
    assert Thread.objects.filter(source=source).count() == 6
    assert "Succeeded" in out


def test_all_harvests_every_enabled_source():
    harvest("--add-stackexchange", str(FIXTURES / "stackexchange" / "hearthlink"), "--name", "A")
    harvest("--add-stackexchange", str(FIXTURES / "stackexchange" / "broken" / "badrows"), "--name", "B")
    out = harvest("all")
    assert out.count("  source") == 2
    assert HarvestRun.objects.count() == 4


@pytest.mark.parametrize("args, message", [
    (["nope"], "no source 'nope'; known sources:"),
    ([], "name a source slug"),
    (["--add-stackexchange", "/nonexistent/dump"], "No dump at /nonexistent/dump"),
    (["--add-html", "http://127.0.0.1:9/list", "--preset", "mybb"], "Unknown preset 'mybb'"),
    (["--add-html", "http://127.0.0.1:9/list", "--preset", "generic"], "HTML preset"),
])
def test_clear_errors(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        harvest(*args)
    assert not HarvestRun.objects.exists()


def test_a_failed_run_exits_with_an_error_after_its_summary(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = StringIO()
    with pytest.raises(CommandError, match="one or more harvests failed"):
        call_command("harvest", "--add-stackexchange", str(empty), "--quiet-progress", stdout=out, stderr=StringIO())
    assert "Posts.xml not found" in out.getvalue() and "Failed" in out.getvalue()


def test_a_run_that_read_nothing_exits_with_an_error(tmp_path):
    with FixtureServer(tmp_path) as server:  # no /latest.json: the forum's list is gone
        out = StringIO()
        with pytest.raises(CommandError, match="failed or read nothing"):
            call_command("harvest", "--add-discourse", server.base_url, "--quiet-progress",
                         stdout=out, stderr=StringIO())
    assert "not found" in out.getvalue() and "HTTP 404" in out.getvalue()


def test_an_empty_dump_exits_with_an_error(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "Posts.xml").write_text('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n</posts>\n', "utf-8")
    with pytest.raises(CommandError, match="failed or read nothing"):
        harvest("--add-stackexchange", str(dump))
    assert HarvestRun.objects.get().new_count == 0


def test_a_discourse_run_with_nothing_new_exits_cleanly():
    with FixtureServer(FIXTURES / "discourse" / "site") as server:
        harvest("--add-discourse", server.base_url, "--name", "Hearthlink forum")
        out = harvest("hearthlink-forum")  # no topic active since: nothing to read, and that is fine
    assert "Succeeded" in out
