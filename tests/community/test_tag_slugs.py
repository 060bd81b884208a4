"""Harvested tag names become slugs (their source's name kept as the label), so a tag such as
"wifi/mesh" no longer breaks /tags/, the thread page and /questions/?source= with a 500; tags
stored before are renamed by a data migration."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from community.models import Source, Tag, Thread
from community.validation import tag_slug
from harvest.engine.records import PostRecord, ThreadRecord
from harvest.models import HarvestRun
from harvest.store import ThreadStore
from tests.migrations import migrate, migrate_latest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name, slug", [
    ("wifi/mesh", "wifi-mesh"), ("C++", "c-plus-plus"), ("c#", "c-sharp"), (".NET", "dot-net"),
    ("2.4 GHz", "2-dot-4-ghz"), ("mesh", "mesh"), ("Ｈ２", "h2"), ("ビール", "ビール"), ("///", ""),
])
def test_tag_slugs(name, slug):
    assert tag_slug(name) == slug


@pytest.fixture
def harvested(settings):
    settings.SEARCH_AUTO_INDEX = False
    source = Source.objects.create(name="Owners forum", slug="owners-forum", kind=Source.Kind.HTML)
    store = ThreadStore(source=source, run=HarvestRun.objects.create(source=source))
    store.add(ThreadRecord(external_id="1", title="Mesh drops when the microwave runs", url="https://f.example/t/1",
                           tags=("wifi/mesh", "C++", "mesh", "Mesh"),
                           posts=(PostRecord(external_id="1", body_html="<p>It drops.</p>", is_question=True),)),
              None)
    store.flush()
    return Thread.objects.get(source=source)


def test_harvested_tags_are_slugs_that_keep_their_names(harvested):
    assert {(t.name, str(t)) for t in harvested.tags.all()} == {
        ("wifi-mesh", "wifi/mesh"), ("c-plus-plus", "C++"), ("mesh", "mesh")}


def test_pages_with_a_slashed_tag_work(client, harvested):
    index = client.get("/tags/")
    assert index.status_code == 200
    link = BeautifulSoup(index.content, "lxml").find("a", string="wifi/mesh")
    assert link["href"] == "/tags/wifi-mesh/"
    tagged = client.get(link["href"] + "?source=all")  # a tag page lists community threads unless asked
    assert tagged.status_code == 200 and harvested.title in tagged.content.decode()
    assert client.get(harvested.get_absolute_url()).status_code == 200
    listed = client.get("/questions/?source=owners-forum")
    assert listed.status_code == 200 and "wifi/mesh" in listed.content.decode()
    api = client.get("/api/questions/?source=owners-forum&tag=wifi-mesh").json()
    assert [t["title"] for t in api["results"]] == [harvested.title]


MIGRATED = [("community", "0007_tag_label")]


@pytest.mark.django_db(transaction=True)
def test_stored_tags_become_slugs_keeping_their_names():
    executor = migrate(MIGRATED)
    try:
        old = executor.loader.project_state(MIGRATED).apps
        OldTag = old.get_model("community", "Tag")
        OldThread = old.get_model("community", "Thread")
        source = old.get_model("community", "Source").objects.create(name="Forum", slug="forum", kind="html")
        thread = OldThread.objects.create(source=source, external_id="1", title="Guest network drops")
        slashed = OldTag.objects.create(name="wifi/mesh")
        OldTag.objects.create(name="c++")
        OldTag.objects.create(name="router")
        taken = OldTag.objects.create(name="guest-wifi")
        clash = OldTag.objects.create(name="guest/wifi")
        thread.tags.add(slashed, clash)
        OldThread.objects.filter(pk=thread.pk).update(search_dirty=False)
    finally:
        migrate_latest()

    assert {(t.name, t.label) for t in Tag.objects.all()} == {
        ("wifi-mesh", "wifi/mesh"), ("c-plus-plus", "c++"), ("router", ""), ("guest-wifi", ""),
        (f"guest-wifi-{clash.pk}", "guest/wifi")}
    moved = Thread.objects.get(pk=thread.pk)
    assert sorted(str(t) for t in moved.tags.all()) == ["guest/wifi", "wifi/mesh"]
    assert moved.search_dirty and Tag.objects.get(pk=taken.pk).name == "guest-wifi"
