"""The importer on real Stack Exchange dumps (../shared/data or GLEANER_SHARED_DATA).

Expected figures are those each folder's SOURCE.md states.
"""
from __future__ import annotations

import resource
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from harvest.engine.importers.stackexchange import StackExchangeDumpImporter, count_posts, read_post_links
from harvest.engine.records import CommentRecord, ItemError, LinkRecord, PostRecord, ThreadRecord

pytestmark = pytest.mark.shared_data


@dataclass(frozen=True)
class Expected:
    folder: str
    site_url: str
    rows: int
    questions: int
    answers: int
    accepted: int
    closed: int
    comments: int
    duplicate_links: int
    related_links: int
    usable_duplicates: int


SITES = [
    Expected("stackexchange-beer", "https://beer.stackexchange.com", 3471, 1029, 2277, 619, 76, 3509, 26, 122, 24),
    Expected("stackexchange-cardano", "https://cardano.stackexchange.com", 2630, 1042, 1496, 459, 37, 1829, 10, 94, 5),
    Expected("stackexchange-genai", "https://genai.stackexchange.com", 474, 181, 243, 47, 11, 0, 0, 0, 0),
]


def dump_folder(shared_data: Path, name: str) -> Path:
    folder = shared_data / name
    if not (folder / "Posts.xml").is_file():
        pytest.skip(f"{folder} not found: set GLEANER_SHARED_DATA")
    return folder


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.folder)
def test_real_dump_matches_its_source_figures(shared_data, site):
    folder = dump_folder(shared_data, site.folder)
    started = time.perf_counter()
    records = list(StackExchangeDumpImporter(folder, site_url=site.site_url).iter_records(None))
    seconds = time.perf_counter() - started
    kinds = Counter(type(record).__name__ for record, _cursor in records)
    threads = {r.external_id: r for r, _c in records if isinstance(r, ThreadRecord)}
    answers = [r for r, _c in records if isinstance(r, PostRecord)]
    links = [r for r, _c in records if isinstance(r, LinkRecord)]
    print(f"\n{site.folder}: {site.rows} posts in {seconds:.2f}s = {site.rows / seconds:,.0f} posts/s; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole test process)")

    assert kinds["ItemError"] == 0, [r for r, _c in records if isinstance(r, ItemError)][:3]
    assert count_posts(folder) == site.rows
    assert len(threads) == site.questions
    assert len(answers) == site.answers
    assert kinds["CommentRecord"] == site.comments
    assert sum(bool(t.accepted_post_external_id) for t in threads.values()) == site.accepted
    assert sum(t.is_closed for t in threads.values()) == site.closed
    assert sum(link.kind == "duplicate" for link in links) == site.duplicate_links
    assert sum(link.kind == "related" for link in links) == site.related_links

    # Every accepted answer that survived in the dump is flagged on the answer too.
    answer_ids = {a.external_id for a in answers}
    accepted_ids = {t.accepted_post_external_id for t in threads.values()} & answer_ids
    assert {a.external_id for a in answers if a.is_accepted} == accepted_ids
    assert all(a.thread_external_id in threads for a in answers)
    assert all(t.url == f"{site.site_url}/questions/{t.external_id}" for t in threads.values())
    assert all(t.license.startswith("CC BY-SA ") for t in threads.values())
    assert all(t.author_name for t in threads.values())


@pytest.mark.parametrize("site", SITES[:2], ids=lambda s: s.folder)
def test_duplicate_links_resolve_to_answered_originals(shared_data, site):
    folder = dump_folder(shared_data, site.folder)
    records = [r for r, _c in StackExchangeDumpImporter(folder).iter_records(None)]
    threads = {r.external_id: r for r in records if isinstance(r, ThreadRecord)}
    answered = {r.thread_external_id for r in records if isinstance(r, PostRecord)}
    duplicates = [link for link in read_post_links(folder) if link.kind == "duplicate"]
    usable = [d for d in duplicates if d.from_external_id in threads and d.to_external_id in threads]
    assert len(usable) == site.usable_duplicates
    for link in usable:
        assert threads[link.from_external_id].duplicate_of_external_id
        assert threads[link.from_external_id].duplicate_of_external_id in threads
    if site.folder == "stackexchange-beer":
        assert all(link.to_external_id in answered for link in usable)  # as SOURCE.md says


def test_beer_names_and_licences(shared_data):
    folder = dump_folder(shared_data, "stackexchange-beer")
    records = [r for r, _c in StackExchangeDumpImporter(folder).iter_records(None)]
    threads = [r for r in records if isinstance(r, ThreadRecord)]
    comments = [r for r in records if isinstance(r, CommentRecord)]
    assert {t.license for t in threads} == {"CC BY-SA 3.0", "CC BY-SA 4.0"}
    # Users.xml knows nearly every author; deleted users keep their "userNN" names.
    looked_up = sum(not t.author_name.startswith("user") and t.author_name != "anonymous" for t in threads)
    assert looked_up > 0.9 * len(threads)
    assert any(c.author_name == "user90" for c in comments)


def test_genai_without_users_xml_names_authors_by_id(shared_data):
    folder = dump_folder(shared_data, "stackexchange-genai")
    threads = [r for r, _c in StackExchangeDumpImporter(folder).iter_records(None) if isinstance(r, ThreadRecord)]
    assert threads[0].author_name == "user8"
    assert {t.license for t in threads} == {"CC BY-SA 4.0"}
