"""DiscourseImporter over real HTTP (fixture site), and its parsers on real Discourse JSON."""
from __future__ import annotations

import json
import os
from pathlib import Path

import nh3
import pytest

from demo.fixture_server import FixtureServer, Reply
from harvest.engine.http import PageCapReached, PoliteClient
from harvest.engine.importers.discourse import DiscourseImporter, parse_listing, parse_topic
from harvest.engine.records import Checkpoint, DeletedRecord, ItemError, ThreadRecord

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "fixtures" / "harvest" / "discourse" / "site"
SHARED = Path(os.environ.get("GLEANER_SHARED_DATA") or REPO / ".." / "shared" / "data")
GOOD_TOPICS = {"100", "101", "102", "103", "104", "105", "106", "107", "108", "109"}


@pytest.fixture
def site():
    with FixtureServer(SITE) as server:
        yield server


def importer(server: FixtureServer, **options) -> DiscourseImporter:
    client_options = {"delay": 0.0, "timeout": 2.0, "max_retries": 2, "sleep": lambda s: None}
    client_options.update(options.pop("client_options", {}))
    return DiscourseImporter(server.base_url, client=PoliteClient(**client_options), **options)


def threads(pairs) -> dict[str, ThreadRecord]:
    return {r.external_id: r for r, _ in pairs if isinstance(r, ThreadRecord)}


def topic_fetches(server: FixtureServer) -> list[str]:
    return [p for p in server.seen_paths() if p.startswith("/t/") and p.endswith(".json") and p.count("/") == 2]


def test_full_harvest_of_fixture_site(site):
    pairs = list(importer(site, license="CC BY-SA 4.0").iter_records(None))
    found = threads(pairs)

    assert set(found) == GOOD_TOPICS
    errors = [r for r, _ in pairs if isinstance(r, ItemError)]
    assert sorted(e.item.rsplit("/", 1)[1] for e in errors) == ["110.json", "111.json"]
    assert all(e.item.startswith(site.base_url) and e.message for e in errors)
    assert [r for r, _ in pairs if isinstance(r, DeletedRecord)] == [DeletedRecord("112", f"HTTP 404 at {site.base_url}/t/112.json")]

    reset = found["103"]
    assert reset.title == "How do I factory reset my H1 router?"
    assert reset.url == f"{site.base_url}/t/how-do-i-factory-reset-my-h1-router/103"
    assert reset.tags == ("h1", "reset")
    assert reset.posts[0].is_question and reset.author_name == "netnovice"  # name null -> username
    assert reset.accepted_post_external_id == "10302" and reset.posts[1].is_accepted  # Solved flag on the post
    assert found["102"].accepted_post_external_id == "10203"  # Solved field on the topic only
    assert found["104"].accepted_post_external_id == ""
    assert found["104"].posts[0].author_name == "dtran"  # empty name -> username
    assert reset.view_count > 0 and reset.license == "CC BY-SA 4.0"
    assert reset.created_at.tzinfo is not None and reset.last_activity_at >= reset.created_at
    assert all(r.complete for r in found.values())

    # The final cursor rides on the last record and marks the run complete.
    assert pairs[-1][1] == {"since": "2026-03-01T09:00:00+00:00"}


def test_long_topic_pages_posts_beyond_twenty(site):
    found = threads(importer(site).iter_records(None))
    long = found["101"]

    assert len(long.posts) == 26 and long.complete
    assert [p.external_id for p in long.posts] == [str(10101 + i) for i in range(26)]
    assert long.answer_count == 25
    assert long.accepted_post_external_id == "10107"
    posts_calls = [p for p in site.seen_paths() if p.startswith("/t/101/posts.json")]
    assert posts_calls == ["/t/101/posts.json?" + "&".join(f"post_ids[]={10121 + i}" for i in range(6))]


def test_quotes_and_small_actions_are_dropped(site):
    found = threads(importer(site).iter_records(None))

    reply = found["101"].posts[8]
    assert "aside" not in reply.body_html and "Cable backhaul solved it" in reply.body_html
    forwarding = found["105"]
    assert len(forwarding.posts) == 3 and forwarding.is_closed  # the "closed" small action is not a post
    assert "Bridge mode fixed it" in forwarding.posts[2].body_html
    assert "ISP modem?" not in forwarding.posts[2].body_html


def test_hostile_markup_passes_through_for_the_store_to_sanitize(site):
    guest = threads(importer(site).iter_records(None))["109"]

    body = guest.posts[0].body_html
    assert "QR code" in body
    cleaned = nh3.clean(body)  # what harvest.store does before saving
    assert "<script" not in cleaned and "onerror" not in cleaned


def test_api_key_and_user_agent_sent(site):
    list(importer(site, api_key="k3y", api_username="gleaner").iter_records(None))

    pages = [seen for seen in site.requests if seen.path != "/robots.txt"]
    assert pages and all(s.headers.get("Api-Key") == "k3y" and s.headers.get("Api-Username") == "gleaner" for s in pages)
    assert all(s.headers["User-Agent"].startswith("GleanerBot/") for s in site.requests)


def test_incremental_run_fetches_only_newer_topics(site):
    pairs = list(importer(site).iter_records(Checkpoint(cursor={"since": "2026-02-27T12:00:00+00:00"})))

    assert set(threads(pairs)) == {"101", "102", "103"}
    assert topic_fetches(site) == ["/t/102.json", "/t/103.json", "/t/101.json"]  # newest activity first
    assert "/latest.json?no_definitions=true&page=1" not in site.seen_paths()
    assert pairs[-1][1] == {"since": "2026-03-01T09:00:00+00:00"}


def test_nothing_new_fetches_no_topics(site):
    assert list(importer(site).iter_records({"since": "2026-03-01T09:00:00+00:00"})) == []
    assert topic_fetches(site) == []


def test_killed_run_resumes_without_losing_topics(site):
    stored, cursor = set(), None
    for record, record_cursor in importer(site).iter_records(None):
        stored.add(record.external_id)
        if record_cursor is not None:
            cursor = record_cursor
        if len(stored) == 4:
            break  # the process dies here
    assert "since" in cursor and cursor.get("pending_since")

    first_run_fetches = len(topic_fetches(site))
    pairs = list(importer(site).iter_records(cursor))
    resumed = {getattr(r, "external_id", "") for r, _ in pairs} - {""}

    assert GOOD_TOPICS <= stored | resumed
    # Refetched at most: the boundary topic (101) and the pinned one, which sits outside the order.
    assert resumed & stored <= {"100", "101"}
    assert len(topic_fetches(site)) - first_run_fetches <= 13 - len(stored) + 2
    assert pairs[-1][1] == {"since": "2026-03-01T09:00:00+00:00"}


def test_max_topics_caps_a_run_and_the_next_run_continues(site):
    first = list(importer(site, max_topics=3).iter_records(None))
    assert len(threads(first)) == 3
    cursor = first[-1][1]
    assert "pending_since" in cursor  # not complete: since has not advanced

    second = list(importer(site).iter_records(cursor))
    assert set(threads(first)) | set(threads(second)) == GOOD_TOPICS
    assert set(threads(first)) & set(threads(second)) <= {"100", "103"}  # pinned + boundary


def test_category_listing_follows_more_topics_url(site):
    found = threads(importer(site, categories=["support/5"]).iter_records(None))

    assert "100" not in found and {"101", "109"} <= set(found)  # 100 lives in announcements
    assert "/c/support/5.json" in site.seen_paths()
    assert "/c/support/5/l/latest.json?page=1" in site.seen_paths()


def test_rate_limited_topic_is_retried(site):
    site.script("/t/103.json", [Reply(429, headers={"Retry-After": "1"}), Reply(200, file=SITE / "t" / "103.json")])
    found = threads(importer(site).iter_records({"since": "2026-02-28T00:00:00+00:00"}))

    assert set(found) == {"102", "103"}
    assert topic_fetches(site).count("/t/103.json") == 2


def test_robots_disallowing_topics_gives_item_errors(site):
    site.route("/robots.txt", body="User-agent: GleanerBot\nDisallow: /t/\n")
    pairs = list(importer(site).iter_records({"since": "2026-02-28T00:00:00+00:00"}))

    assert [type(r) for r, _ in pairs] == [ItemError, ItemError]
    assert "robots.txt" in pairs[0][0].message
    assert topic_fetches(site) == []


def test_page_cap_ends_run_after_yielding_what_it_has(site):
    run = importer(site, client_options={"max_pages": 4}).iter_records(None)
    got = []
    with pytest.raises(PageCapReached):
        for record, _ in run:
            got.append(record.external_id)
    assert got == ["100", "102", "103"]


# -- real Discourse JSON (shared data) -----------------------------------------

def shared(name: str) -> dict:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared Discourse data not found at {path}: set GLEANER_SHARED_DATA")
    return json.loads(path.read_text(encoding="utf-8"))


def test_parse_real_listing():
    topics, more = parse_listing(shared("discourse-perceval/discourse_topics.json"))
    assert len(topics) == 2 and more is None
    assert all("bumped_at" in t and "id" in t for t in topics)
    pinned, _ = parse_listing(shared("discourse-perceval/discourse_topics_pinned.json"))
    assert len(pinned) == 3 and pinned[0]["pinned"] is True


def test_parse_real_topic_with_more_posts_than_included():
    record = parse_topic(shared("discourse-perceval/discourse_topic_1148.json"), base_url="https://forum.example")

    assert record.title == "[Support] uBlock Origin"
    assert record.url == "https://forum.example/t/support-ublock-origin/1148"
    assert len(record.posts) == 20 and not record.complete  # stream lists 22 ids
    assert record.posts[0].is_question and record.author_name == "Raymond Hill"
    assert record.view_count == 13372


def test_parse_real_small_topic():
    record = parse_topic(shared("discourse-perceval/discourse_posts.json"), base_url="https://forum.example")
    assert record.complete and len(record.posts) == 4 and record.answer_count == 3
    assert record.title == "IBM PowerVM support?"


def test_parse_real_modern_topic_strips_quotes():
    data = shared("discourse-criticalfallibilism/t_2108_post_452.json")
    assert any('class="quote' in p["cooked"] for p in data["post_stream"]["posts"])

    record = parse_topic(data, base_url="https://forum.example")
    assert record.tags == ("bot", "curiosity-blog")
    assert record.posts and not record.complete and not record.posts[0].is_question  # posts 433-452 only
    assert all('class="quote' not in p.body_html for p in record.posts)
    assert all(p.created_at is not None for p in record.posts)


def test_parse_real_posts_pages_merge_into_one_thread():
    page1 = shared("discourse-criticalfallibilism/t_2144_posts.json")["post_stream"]["posts"]
    page2 = shared("discourse-criticalfallibilism/t_2144_posts_pn_21.json")["post_stream"]["posts"]
    ids = list(dict.fromkeys(p["id"] for p in sorted(page1 + page2, key=lambda p: p["post_number"])))
    topic = {"id": 2144, "slug": "kpop-demon-hunters", "title": "t", "post_stream": {"posts": page1, "stream": ids}}

    record = parse_topic(topic, base_url="https://forum.example", extra_posts=page2)

    assert record.complete and record.posts[0].is_question
    numbers = [int(p.url.rsplit("/", 1)[1]) for p in record.posts]
    assert numbers == sorted(set(numbers))


def test_listing_that_answers_404_is_reported_as_not_found(site):
    site.route("/latest.json", status=404, body="<html><body>Page not found</body></html>")
    imp = importer(site)

    pairs = list(imp.iter_records(None))

    (error,) = [r for r, _ in pairs if isinstance(r, ItemError)]
    assert "not found" in error.message and "HTTP 404" in error.message, error.message
    assert "Expecting value" not in error.message
    assert not imp.read_to_end
