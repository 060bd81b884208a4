"""Harvest from the site: add a source (dump by upload or allowed path, Discourse, HTML with a
preset), test it without storing, run it now, follow its progress, schedule it, retry a failed item."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from community.models import Source, Thread
from demo.fixture_server import FixtureServer, Reply
from harvest.models import HarvestError, HarvestRun

REPO = Path(__file__).resolve().parents[2]
DUMP = REPO / "fixtures" / "harvest" / "stackexchange" / "hearthlink"
PHPBB = REPO / "fixtures" / "harvest" / "html" / "phpbb"
DISCOURSE = REPO / "fixtures" / "harvest" / "discourse" / "site"


@pytest.fixture(autouse=True)
def _quiet(settings, tmp_path):
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False
    settings.HARVEST_HOST_DELAY = 0
    settings.DATA_DIR = tmp_path / "data"
    settings.HARVEST_DUMP_DIRS = [DUMP.parent]


@pytest.fixture
def manager(editor):
    editor.user_permissions.add(Permission.objects.get(codename="manage_source", content_type__app_label="harvest"))
    return type(editor).objects.get(pk=editor.pk)


def _form(**fields) -> dict:
    return {"trust": "0.5", "schedule_minutes": "0", "license": "", "preset": "", "path": "", "base_url": "",
            **fields}


def test_only_managers_see_and_use_the_controls(db, editor, manager, admin_user, client_for, make_user):
    plain = make_user("ed2", "editor")
    assert client_for(plain).get("/harvest/add/").status_code == 403
    assert "Add a source" not in client_for(plain).get("/harvest/").content.decode()
    assert client_for(manager).get("/harvest/add/").status_code == 200
    assert "Add a source" in client_for(admin_user).get("/harvest/").content.decode()


def test_html_forum_test_shows_threads_and_stores_nothing_then_save(db, manager, client_for):
    client = client_for(manager)
    with FixtureServer(PHPBB) as server:
        data = _form(kind="html", name="Old board", base_url=server.url("/viewforum.php?f=2"), preset="phpbb",
                     step="test")
        html = client.post("/harvest/add/", data).content.decode()
        assert html.count('class="preview-thread"') == 5 and "nothing was stored" in html
        assert not Source.objects.filter(name="Old board").exists() and not Thread.objects.exists()
        response = client.post("/harvest/add/", {**data, "step": "save"})
    source = Source.objects.get(name="Old board")
    assert response.status_code == 302 and response["Location"] == f"/harvest/{source.slug}/"
    assert (source.kind, source.preset) == ("html", "phpbb")


def test_discourse_source_test(db, manager, client_for):
    with FixtureServer(DISCOURSE) as server:
        html = client_for(manager).post("/harvest/add/", _form(kind="discourse", name="Forum", base_url=server.base_url,
                                                               step="test")).content.decode()
    assert html.count('class="preview-thread"') >= 1 and "Nothing to import" not in html


def test_dump_path_must_be_in_an_allowed_folder(db, manager, client_for, tmp_path):
    client = client_for(manager)
    outside = client.post("/harvest/add/", _form(kind="stackexchange", name="SE", path="/etc", step="test"))
    assert outside.status_code == 400 and "Dumps are read only from the allowed folders" in outside.content.decode()
    inside = client.post("/harvest/add/", _form(kind="stackexchange", name="SE", path=str(DUMP), step="test"))
    html = inside.content.decode()
    assert html.count('class="preview-thread"') == 5 and "CC BY-SA 2.5" in html
    assert 'name="uploaded_path"' not in html, "a dump named by path was not uploaded"
    assert not Thread.objects.exists()


def test_dump_upload_is_kept_and_tested(db, manager, client_for, tmp_path):
    archive = tmp_path / "hearthlink.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in DUMP.iterdir():
            out.write(path, path.name)
    client = client_for(manager)
    with archive.open("rb") as upload:
        html = client.post("/harvest/add/", {**_form(kind="stackexchange", name="Uploaded SE",
                                                                  step="test"), "upload": upload}).content.decode()
    assert html.count('class="preview-thread"') == 5 and 'name="uploaded_path"' in html
    kept = re.search(r'name="uploaded_path" value="([^"]+)"', html).group(1)
    saved = client.post("/harvest/add/", {**_form(kind="stackexchange", name="Uploaded SE", step="save"),
                                          "uploaded_path": kept})
    assert saved.status_code == 302 and Source.objects.get(name="Uploaded SE").path == kept


def test_run_now_progress_and_schedule(db, manager, client_for, django_capture_on_commit_callbacks):
    from harvest.selectors import harvest_due_sources
    from harvest.services import source_create

    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(DUMP))
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/harvest/{source.slug}/run/")
    assert response.status_code == 302 and response["Location"].endswith("?queued=0")
    run = HarvestRun.objects.get(source=source)
    assert run.status == "succeeded"
    progress = client.get(f"/harvest/{source.slug}/progress/").json()["run"]
    assert progress["id"] == run.pk and progress["new"] == run.new_count > 0 and not progress["running"]
    page = client.get(response["Location"]).content.decode()
    assert 'data-waiting="0"' in page and f"Run #{run.pk}" in page

    client.post(f"/harvest/{source.slug}/schedule/", {"schedule_minutes": "60", "enabled": "on"})
    source.refresh_from_db()
    assert source.schedule_minutes == 60 and source.enabled
    assert "Next scheduled run" in client.get(f"/harvest/{source.slug}/").content.decode()
    assert source.pk not in harvest_due_sources()
    client.post(f"/harvest/{source.slug}/schedule/", {"schedule_minutes": "-5", "enabled": "on"})
    source.refresh_from_db()
    assert source.schedule_minutes == 60


def test_a_failed_item_is_shown_and_retried(db, manager, client_for):
    from harvest.services import source_create, source_harvest

    with FixtureServer(PHPBB) as server:
        broken = "/viewtopic.php?f=2&t=103"
        server.script(broken, [Reply(500, body="down"), Reply(500, body="down"),
                               Reply(200, file=PHPBB / "viewtopic.php?f=2&t=103", content_type="text/html; charset=utf-8")])
        source = source_create(name="Board", kind="html", preset="phpbb", base_url=server.url("/viewforum.php?f=2"),
                               options={"delay": 0, "max_retries": 0, "timeout": 2})
        run = source_harvest(source=source)
        assert run.status == "partial"
        error = HarvestError.objects.get(run=run)
        client = client_for(manager)
        page = client.get(f"/harvest/runs/{run.pk}/").content.decode()
        assert "t=103" in page and "Retry this item" in page
        server.script(broken, [Reply(200, file=PHPBB / "viewtopic.php?f=2&t=103", content_type="text/html; charset=utf-8")])
        response = client.post(f"/harvest/errors/{error.pk}/retry/", follow=True)
    error.refresh_from_db()
    assert error.fixed_by is not None and error.fixed_by.status == "succeeded"
    assert "Read again:" in response.content.decode()
    assert Thread.objects.filter(source=source, external_id="103").exists()
