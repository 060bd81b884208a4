"""A Stack Exchange dump through ``source_harvest`` into the shared thread/post tables:
what readers see, idempotence, edits, deletions, broken dumps, hostile markup, masking."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from community.models import Comment, Post, PostRevision, Thread, ThreadLink
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange"
HEARTHLINK = FIXTURES / "hearthlink"
SITE = "https://community.hearthlink.example"



@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    """Harvest tests are about harvesting: the search and KB apps' eager indexing and
    clustering of changed threads would embed every harvested thread with the real model."""
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False

def add_dump(path: Path, name: str = "Hearthlink SE"):
    return source_create(name=name, kind="stackexchange", path=str(path), base_url=SITE)


def thread(source, external_id: str) -> Thread:
    return Thread.objects.get(source=source, external_id=external_id)


def post(source, external_id: str) -> Post:
    return Post.objects.get(thread__source=source, external_id=external_id)


def snapshot(source) -> dict:
    threads = Thread.objects.filter(source=source).values_list("external_id", "id", "updated_at", "content_hash")
    posts = Post.objects.filter(thread__source=source).values_list("external_id", "id", "body", "content_hash")
    return {"threads": sorted(threads), "posts": sorted(posts), "comments": Comment.objects.count(),
            "revisions": PostRevision.objects.count(), "links": ThreadLink.objects.count()}


@pytest.fixture
def copied_dump(tmp_path) -> Path:
    target = tmp_path / "dump"
    shutil.copytree(HEARTHLINK, target)
    return target


def test_dump_becomes_threads_with_authors_accepted_answers_tags_and_attribution():
    source = add_dump(HEARTHLINK)
    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.SUCCEEDED, run.message
    assert (run.new_count, run.updated_count, run.failed_count) == (75, 0, 0)  # 26 questions + 49 answers
    assert Thread.objects.filter(source=source).count() == 26
    beacon = thread(source, "1")
    assert beacon.title == "Beacon satellite drops offline every night around 2 am"
    assert beacon.author_name == "Maya Okafor"
    assert beacon.url == f"{SITE}/questions/1"
    assert sorted(beacon.tags.values_list("name", flat=True)) == ["beacon", "connectivity", "mesh"]
    assert beacon.license == "CC BY-SA 2.5" and thread(source, "74").license == "CC BY-SA 4.0"
    assert beacon.answer_count == 3
    accepted = beacon.posts.get(is_accepted=True)
    assert accepted.external_id == "2" and accepted.author_name == "Tomasz Wren"
    assert Post.objects.filter(thread__source=source, is_accepted=True).count() == 17
    assert post(source, "71").thread == beacon  # an answer twelve years late still finds its question
    assert post(source, "1").is_question and "<p>I have an H1 router" in post(source, "1").body


def test_duplicates_links_and_comments_are_stored():
    source = add_dump(HEARTHLINK)
    source_harvest(source=source)

    for duplicate, original in {"18": "4", "20": "9", "61": "1", "63": "4"}.items():
        assert thread(source, duplicate).duplicate_of == thread(source, original)
        assert thread(source, duplicate).is_closed
    assert ThreadLink.objects.filter(source=source).count() == 11
    assert ThreadLink.objects.filter(source=source, kind="duplicate").count() == 4
    comment = post(source, "1").comments.get()
    assert comment.body == "Which firmware version is on the router?" and comment.author_name == "Gus Halvorsen"
    assert post(source, "2").comments.get().body == "Moving the update window to 5 am worked, thank you!"


def test_thread_page_shows_attribution_and_the_accepted_answer(client):
    source = add_dump(HEARTHLINK)
    source_harvest(source=source)
    page = client.get(reverse("community:question", args=[thread(source, "1").pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Maya Okafor" in html and "Tomasz Wren" in html
    assert "Hearthlink SE" in html and f'href="{SITE}/questions/1"' in html  # where it came from


def test_second_harvest_writes_nothing():
    source = add_dump(HEARTHLINK)
    source_harvest(source=source)
    before = snapshot(source)

    skipped = source_harvest(source=source)  # same files: not even parsed
    assert skipped.status == HarvestRun.Status.SUCCEEDED
    assert (skipped.new_count, skipped.updated_count, skipped.unchanged_count) == (0, 0, 75)
    assert "unchanged" in skipped.message

    rescan = source_harvest(source=source, force=True)  # parsed, every post compared
    assert (rescan.new_count, rescan.updated_count, rescan.deleted_count, rescan.unchanged_count) == (0, 0, 0, 75)
    assert snapshot(source) == before


def test_edited_post_is_updated_and_its_previous_body_kept(copied_dump):
    source = add_dump(copied_dump)
    source_harvest(source=source)
    old_body = post(source, "5").body
    posts = copied_dump / "Posts.xml"
    posts.write_text(posts.read_text("utf-8").replace(
        "Hold the recessed reset button on the back for", "Press and hold the small reset button for"), "utf-8")

    run = source_harvest(source=source)

    assert (run.new_count, run.updated_count, run.unchanged_count) == (0, 1, 74)
    edited = post(source, "5")
    assert "Press and hold the small reset button" in edited.body and edited.is_accepted
    revision = edited.revisions.get()
    assert revision.body == old_body and revision.number == 1


def test_question_removed_from_the_dump_is_marked_deleted_and_hidden(copied_dump, client):
    source = add_dump(copied_dump)
    source_harvest(source=source)
    gone = thread(source, "69")
    posts = copied_dump / "Posts.xml"
    kept = [line for line in posts.read_text("utf-8").splitlines(keepends=True) if '<row Id="69" ' not in line]
    posts.write_text("".join(kept), "utf-8")

    run = source_harvest(source=source)

    gone.refresh_from_db()
    assert gone.is_deleted and run.deleted_count == 1
    assert Thread.objects.filter(source=source, is_deleted=False).count() == 25
    assert client.get(reverse("community:question", args=[gone.pk])).status_code == 404
    listing = client.get(reverse("api:questions"), {"page_size": 100}).json()
    assert gone.pk not in {item["id"] for item in listing["results"]}
    assert gone.title not in client.get(reverse("community:questions")).content.decode()


def test_truncated_dump_keeps_what_was_read_and_says_where_it_broke():
    source = add_dump(FIXTURES / "broken" / "truncated")
    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.PARTIAL
    assert run.new_count >= 1 and run.failed_count >= 1
    assert run.errors.filter(item__contains="Posts.xml").exists()
    assert Thread.objects.filter(source=source).exists()


def test_bad_rows_are_recorded_and_skipped():
    source = add_dump(FIXTURES / "broken" / "badrows")
    run = source_harvest(source=source)

    assert run.status == HarvestRun.Status.PARTIAL
    assert run.failed_count >= 1
    items = list(run.errors.values_list("item", flat=True))
    assert any("Id=abc" in item for item in items), items
    assert thread(source, "1").title == "Does the H1 support WPA3?"
    assert run.new_count >= 4


def test_hostile_markup_never_reaches_the_store_or_the_page(client):
    source = add_dump(FIXTURES / "broken" / "hostile")
    run = source_harvest(source=source)
    assert run.new_count >= 2

    for body in Post.objects.filter(thread__source=source).values_list("body", flat=True):
        lowered = body.lower()
        assert "<script" not in lowered and "onerror" not in lowered and "javascript:" not in lowered
        assert "<iframe" not in lowered
    question = thread(source, "1")
    html = client.get(reverse("community:question", args=[question.pk])).content.decode().lower()
    assert "evil.example" not in html and "alert(1)" not in html and "javascript:alert" not in html
    # Titles are plain text: a literal "<script>" in one is shown escaped, never run.
    assert "<script>alert('title')" not in html and "&lt;script&gt;alert(" in html


def write_dump(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    from xml.sax.saxutils import quoteattr

    (folder / "Posts.xml").write_text(
        '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n'
        f'  <row Id="1" PostTypeId="1" CreationDate="2024-01-02T10:00:00.000" Score="1" ViewCount="5" '
        f'Body={quoteattr(body)} OwnerDisplayName="hearthfan" Title="Beacon support contact" '
        f'Tags="&lt;beacon&gt;" AnswerCount="0" ContentLicense="CC BY-SA 4.0" />\r\n</posts>\r\n', "utf-8")
    return folder


CONTACT = "<p>Mail me at maya.okafor@example.com or call +44 20 7946 0958 about the Beacon.</p>"


def test_contacts_masked_when_the_setting_is_on(tmp_path, settings):
    settings.HARVEST_MASK_CONTACTS = True
    source = add_dump(write_dump(tmp_path / "d", CONTACT))
    source_harvest(source=source)
    body = post(source, "1").body
    assert "maya.okafor@example.com" not in body and "7946" not in body
    assert "[email hidden]" in body and "[phone hidden]" in body and "about the Beacon" in body


def test_contacts_kept_when_the_setting_is_off(tmp_path, settings):
    settings.HARVEST_MASK_CONTACTS = False
    source = add_dump(write_dump(tmp_path / "d", CONTACT))
    source_harvest(source=source)
    body = post(source, "1").body
    assert "maya.okafor@example.com" in body and "+44 20 7946 0958" in body


def test_huge_post_is_cut_with_an_error_naming_it(tmp_path, settings):
    settings.HARVEST_MAX_POST_CHARS = 5000
    source = add_dump(write_dump(tmp_path / "d", "<p>" + "The Beacon light ring blinks amber. " * 2000 + "</p>"))
    run = source_harvest(source=source)

    body = post(source, "1").body
    assert len(body) < 5200 and "[cut: the post was too long]" in body
    error = run.errors.get()
    assert error.item.startswith("post 1") and "limit" in error.message
    assert run.status == HarvestRun.Status.SUCCEEDED  # stored, cut: a warning, not a failure


def test_missing_dump_fails_the_run_with_a_clear_message(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    source = add_dump(folder)
    run = source_harvest(source=source)
    assert run.status == HarvestRun.Status.FAILED
    assert "Posts.xml not found" in run.message
