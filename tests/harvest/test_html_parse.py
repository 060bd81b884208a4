"""Pure HTML-forum parsing: every preset on its fixture forum, the generic preset, broken pages."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import nh3
import pytest

from harvest.engine.importers.html import (
    PRESETS,
    ParseError,
    PresetError,
    merge_pages,
    parse_thread_list,
    parse_thread_page,
    preset_from_dict,
    thread_external_id,
)

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "fixtures" / "harvest" / "html"
SITE = "https://forum.hearthlink.example"


def page(preset: str, path: str):
    """Parse the fixture file that serves URL ``path`` (``/dir/`` -> ``dir/index.html``)."""
    rel = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
    return parse_thread_page((HTML / preset / rel).read_text("utf-8"), url=SITE + path, preset=preset)


def listing(preset: str, path: str):
    rel = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
    return parse_thread_list((HTML / preset / rel).read_text("utf-8"), url=SITE + path, preset=preset)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# -- one test per preset: list, pagination, authors, dates, clean bodies ------------


def test_phpbb_forum_and_long_topic():
    first = listing("phpbb", "/viewforum.php?f=2")
    # The session id (sid=) in one link is dropped so the thread has one URL.
    assert first.thread_urls == [f"{SITE}/viewtopic.php?f=2&t={n}" for n in (101, 102, 103)]
    assert first.next_url == f"{SITE}/viewforum.php?f=2&start=3"
    last = listing("phpbb", "/viewforum.php?f=2&start=3")
    assert len(last.thread_urls) == 3 and last.next_url is None

    one = page("phpbb", "/viewtopic.php?f=2&t=101")
    two = page("phpbb", "/viewtopic.php?f=2&t=101&start=3")
    assert one.title == "Beacon satellite keeps falling off the mesh every evening"
    assert one.next_url == f"{SITE}/viewtopic.php?f=2&t=101&start=3" and two.next_url is None
    thread = merge_pages([one, two])
    assert thread.external_id == "101"
    assert [p.external_id for p in thread.posts] == ["1001", "1002", "1003", "1004", "1005"]
    assert [p.author_name for p in thread.posts][:2] == ["dana_k", "netnerd42"]
    assert thread.posts[0].is_question and not any(p.is_question for p in thread.posts[1:])
    assert thread.posts[0].created_at == utc(2024, 3, 2, 18, 41, 7)
    reply = thread.posts[1].body_html
    assert "neighbours' 5 GHz" in reply
    assert "goes amber" not in reply and "wrote:" not in reply  # quote and its header gone
    assert "Not Hearthlink staff" not in reply  # signature gone
    assert "<ol><li>Open the app</li>" in thread.posts[3].body_html  # lists kept
    code = page("phpbb", "/viewtopic.php?f=2&t=102").posts[1].body_html
    assert "<pre><code>Reset: hold 15 s" in code and "Select all" not in code
    assert "Last edited" not in page("phpbb", "/viewtopic.php?f=2&t=104").posts[1].body_html


def test_vbulletin_forum_and_long_thread():
    first = listing("vbulletin", "/forumdisplay.php?f=3")
    assert first.thread_urls == [f"{SITE}/showthread.php?t={n}" for n in (201, 202, 203)]  # s= dropped
    assert first.next_url == f"{SITE}/forumdisplay.php?f=3&page=2"
    assert listing("vbulletin", "/forumdisplay.php?f=3&page=2").next_url is None

    one = page("vbulletin", "/showthread.php?t=201")
    two = page("vbulletin", "/showthread.php?t=201&page=2")
    assert one.next_url == f"{SITE}/showthread.php?t=201&page=2" and two.next_url is None
    thread = merge_pages([one, two])
    assert thread.title == "Mesh node disconnects randomly - Beacon light goes orange"
    assert len(thread.posts) == 5 and thread.posts[-1].external_id == "2005"
    assert thread.posts[1].author_name == "wifi_wendy"
    assert thread.posts[1].created_at == utc(2024, 4, 1, 10, 2)  # "04-01-2024, 10:02 AM"
    assert "Metal kills the mesh link" in thread.posts[1].body_html
    assert "Originally Posted by" not in thread.posts[1].body_html and "loses the mesh" not in thread.posts[1].body_html
    assert "1 Gbit fibre" not in thread.posts[0].body_html
    code = page("vbulletin", "/showthread.php?t=203").posts[1].body_html
    assert "External 8000 -&gt; NVR:8000 TCP</pre>" in code and "Code:" not in code


def test_xenforo_forum_thread_and_solution():
    first = listing("xenforo", "/forums/router-support.4/")
    assert first.thread_urls[0] == f"{SITE}/threads/satellite-dropping-connection-to-main-router-const.301/"
    assert first.next_url == f"{SITE}/forums/router-support.4/page-2"
    assert listing("xenforo", "/forums/router-support.4/page-2").next_url is None

    base = "/threads/satellite-dropping-connection-to-main-router-const.301/"
    one, two = page("xenforo", base), page("xenforo", base + "page-2")
    assert one.next_url == SITE + base + "page-2" and two.next_url is None
    thread = merge_pages([one, two])
    assert thread.external_id == "301" and thread.title == "Satellite dropping connection to main router constantly"
    assert [p.author_name for p in thread.posts] == ["MeshMaria", "TechTom", "MeshMaria", "Hearthlink_Support", "MeshMaria"]
    assert thread.posts[3].is_accepted and thread.accepted_post_external_id == "3004"
    assert thread.posts[0].created_at == utc(2024, 5, 10, 17, 20)
    assert "said:" not in thread.posts[1].body_html and "Click to expand" not in thread.posts[1].body_html
    assert "fw 3.5.0" not in thread.posts[0].body_html


def test_askbot_question_answers_pages_and_accepted():
    lst = listing("askbot", "/en/questions/scope:all/sort:activity-desc/")
    assert lst.thread_urls[0] == f"{SITE}/en/question/401/why-does-my-beacon-mesh-satellite-lose-connection/"
    assert lst.next_url == f"{SITE}/en/questions/scope:all/sort:activity-desc/page:2/"
    assert listing("askbot", "/en/questions/scope:all/sort:activity-desc/page:2/").next_url is None

    base = "/en/question/401/why-does-my-beacon-mesh-satellite-lose-connection/"
    one, two = page("askbot", base), page("askbot", base + "?sort=votes&page=2")
    assert one.next_url == SITE + base + "?sort=votes&page=2"
    assert two.next_url is None  # the hidden "next" (page=None) on the last page is ignored
    thread = merge_pages([one, two])
    # The question repeats on every page but is kept once.
    assert [p.external_id for p in thread.posts] == ["401", "4011", "4012", "4013", "4014"]
    assert thread.posts[0].author_name == "jonas" and thread.tags == ("hearthlink",)
    assert thread.accepted_post_external_id == "4011"
    assert thread.posts[0].created_at == datetime.fromisoformat("2024-06-01T10:00:00-06:00")
    assert "asked" not in thread.posts[0].body_html and "gravatar" not in thread.posts[0].body_html


def test_discourse_crawler_view():
    lst = listing("discourse_crawler", "/latest")
    assert lst.thread_urls[0] == f"{SITE}/t/beacon-keeps-disconnecting-from-the-mesh/501"
    assert lst.next_url == f"{SITE}/latest?page=1"
    base = "/t/beacon-keeps-disconnecting-from-the-mesh/501"
    one, two = page("discourse_crawler", base), page("discourse_crawler", base + "?page=2")
    assert one.next_url == SITE + base + "?page=2" and two.next_url is None
    # The navigation block shares the post classes and must not become a post.
    assert len(one.posts) == 3 and len(two.posts) == 2
    thread = merge_pages([one, two])
    assert thread.external_id == "501" and thread.title == "Beacon keeps disconnecting from the mesh"
    assert [p.author_name for p in thread.posts][:2] == ["sam", "ola"]
    assert thread.posts[3].is_accepted and thread.accepted_post_external_id == "4"
    assert thread.posts[1].created_at == utc(2024, 7, 1, 9, 30)
    assert "How far is it from the router?" in thread.posts[1].body_html
    assert "drops off the mesh" not in thread.posts[1].body_html


@pytest.mark.parametrize(
    ("preset", "url", "expected"),
    [
        ("phpbb", "https://f.example/viewtopic.php?f=2&t=123&start=10&sid=abc", "123"),
        ("xenforo", "https://f.example/threads/slow-5ghz.123/page-3", "123"),
        ("askbot", "https://f.example/en/question/123/slug/?page=2", "123"),
        ("discourse_crawler", "https://f.example/t/some-slug/123?page=2", "123"),
        ("vbulletin", "https://f.example/showthread.php?t=123&page=2", "123"),
    ],
)
def test_thread_ids_from_urls(preset, url, expected):
    assert thread_external_id(url, preset=preset) == expected


def test_unknown_url_shape_gets_a_stable_hash_shared_by_its_pages():
    a = thread_external_id("https://f.example/board/topic-77.html", preset="phpbb")
    b = thread_external_id("https://f.example/board/topic-77.html?p=2#reply", preset="phpbb")
    assert a == b and a.startswith("url-")
    assert a != thread_external_id("https://f.example/board/topic-78.html", preset="phpbb")


# -- generic preset -------------------------------------------------------------------

GENERIC = {
    "post": "div.reply",
    "body": "div.said",
    "author": "div.who",
    "date": "span.when",
    "date_attr": "data-ts",
    "date_formats": ["unix"],
    "accepted": ".best",
    "title": "h1.thread-heading",
    "quote": "blockquote",
    "signature": "div.sig",
    "next_page": "a.older",
    "post_id_attrs": ["data-reply"],
}


def test_generic_preset_from_selectors():
    preset = preset_from_dict(GENERIC)
    html = (HTML / "generic" / "board" / "topic-77.html").read_text("utf-8")
    result = parse_thread_page(html, url=f"{SITE}/board/topic-77.html", preset=preset)
    assert result.title == "Beacon blinking red after power cut"
    assert result.next_url == f"{SITE}/board/topic-77.html?p=2"
    question, answer = result.posts
    assert (question.external_id, question.author_name) == ("9001", "priya_r")
    assert question.created_at == datetime.fromtimestamp(1718000000, tz=timezone.utc)
    assert answer.is_accepted and "lost its pairing" in answer.body_html
    assert "wrote:" not in answer.body_html and "will not rejoin" not in answer.body_html
    assert "<li>Hold 5 seconds</li>" in answer.body_html
    assert "moderator" not in answer.body_html


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ({"post": "div.reply", "body": "div.said", "author_name": "x"}, "unknown key(s) author_name"),
        ({"post": "div.reply"}, "missing required selector(s): body"),
        ({"post": "  ", "body": "p"}, "missing required selector(s): post"),
        ({"post": "div..reply", "body": "p"}, "post selector 'div..reply' is not valid CSS"),
        ({"post": "div", "body": "p", "thread_id_pattern": "(unclosed"}, "not a valid regex"),
        ({"post": "div", "body": "p", "date_formats": "%Y"}, "date_formats must be a list"),
    ],
)
def test_generic_preset_rejects_bad_selectors(selectors, message):
    with pytest.raises(PresetError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        preset_from_dict(selectors)


def test_unknown_preset_name_is_a_clear_error():
    with pytest.raises(PresetError, match="unknown preset 'mybb'"):
        parse_thread_page("<html></html>", url=SITE, preset="mybb")


# -- broken pages ---------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_page_matching_no_selector_raises_with_selector_and_url(preset):
    html = (HTML / "broken" / "no_posts.html").read_text("utf-8")
    with pytest.raises(ParseError, match=r"no posts matched selector .* on https://forum\.hearthlink\.example/x"):
        parse_thread_page(html, url=f"{SITE}/x", preset=preset)
    with pytest.raises(ParseError, match="on https://forum.hearthlink.example/x"):
        parse_thread_list(html, url=f"{SITE}/x", preset=preset)


def test_truncated_page_still_gives_the_posts_that_are_there():
    html = (HTML / "broken" / "truncated_phpbb_topic.html").read_text("utf-8")
    result = parse_thread_page(html, url=f"{SITE}/viewtopic.php?f=2&t=101", preset="phpbb")
    assert [p.author_name for p in result.posts] == ["dana_k", "netnerd42", "dana_k"]
    assert result.posts[2].body_html.startswith("<p>Where do I even see")


def test_hostile_markup_is_defused_but_text_and_links_stay():
    html = (HTML / "broken" / "hostile_phpbb_topic.html").read_text("utf-8")
    body = parse_thread_page(html, url=f"{SITE}/viewtopic.php?f=2&t=101", preset="phpbb").posts[2].body_html
    lowered = body.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "style=", "<object", "<form", "<input"):
        assert bad not in lowered, bad
    assert "Where do I even see the backhaul channel?" in body
    assert 'href="https://help.hearthlink.example/mesh"' in body and "click for the fix" in body
    assert 'alt="screenshot"' in body and "Overlay text" in body
    assert nh3.clean(body) == nh3.clean(nh3.clean(body))  # stable under the store's sanitizer


def test_huge_post_parses_quickly_and_whole():
    paragraph = "<p>" + "Beacon backhaul diagnostics line. " * 30 + "</p>\n"
    huge = paragraph * 6000  # about 6 MB of post text
    html = (HTML / "phpbb" / "viewtopic.php?f=2&t=102").read_text("utf-8").replace(
        "<p>Selling my H2 Pro. What is the proper way to erase everything?</p>", huge
    )
    started = time.monotonic()
    result = parse_thread_page(html, url=f"{SITE}/viewtopic.php?f=2&t=102", preset="phpbb")
    assert time.monotonic() - started < 30
    assert result.posts[0].body_html.count("<p>") == 6000
    assert len(result.posts) == 2
