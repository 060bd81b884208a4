"""Snippets people see in results, and cleaning of what they type."""
from __future__ import annotations

import re

import pytest

from search.engine.query import QueryError, clean_query, query_terms
from search.engine.snippets import make_snippet, snippet_plain_length

FILLER = (
    "The Hearthlink app lists every Beacon with its signal strength and the time it last checked in. "
    "Parental controls and the guest network are configured separately. "
)


def test_snippet_escapes_html_and_marks_terms_case_insensitively():
    text = "Reset the <script>alert('router')</script> Router by holding the button for ten seconds."
    snippet = make_snippet(text, "router reset")
    assert "<script" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>Reset</mark>" in snippet and "<mark>Router</mark>" in snippet
    assert "alert(&#x27;<mark>router</mark>&#x27;)" in snippet
    assert set(re.findall(r"</?\w+", snippet)) == {"<mark", "</mark"}


def test_marks_never_land_inside_entities():
    snippet = make_snippet("My AT&T modem sits behind the H1 & the Beacon.", "amp modem")
    assert "&amp;" in snippet and "<mark>amp</mark>" not in snippet
    assert "<mark>modem</mark>" in snippet


def test_simple_stemming_matches_plurals_and_ing_forms():
    snippet = make_snippet("Updating the firmware fixed the updates of both Beacons.", "update beacon")
    assert "<mark>Updating</mark>" in snippet
    assert "<mark>updates</mark>" in snippet
    assert "<mark>Beacons</mark>" in snippet


def test_snippet_picks_the_window_with_most_matches():
    text = (
        FILLER * 3
        + "To open a port, go to Advanced, then Port forwarding, and add the port of your game console. "
        + FILLER * 3
        + "One port is mentioned here."
    )
    snippet = make_snippet(text, "port forwarding console", width=220)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert snippet.count("<mark>") >= 4
    assert "<mark>console</mark>" in snippet
    assert snippet_plain_length(snippet) <= 222


def test_snippet_without_matches_shows_the_opening():
    text = FILLER * 4
    snippet = make_snippet(text, "invoice refund")
    assert snippet.startswith("The Hearthlink app") and snippet.endswith("…")
    assert "<mark>" not in snippet
    assert make_snippet("Short & sweet.", "") == "Short &amp; sweet."
    assert make_snippet("", "router") == ""


def test_clean_query_strips_control_characters():
    raw = "\x00port\x07 forwarding\u200bon\tthe\n\n H2\x1b[31m Pro  "
    assert clean_query(raw) == "port forwarding on the H2 [31m Pro"
    assert clean_query("Ｈ２ Pro") == "H2 Pro"  # full-width characters normalised


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01\x02", "\u200b\u200b", "?? !!", None])
def test_empty_queries_are_rejected_with_a_clear_message(raw):
    with pytest.raises(QueryError, match="empty|text"):
        clean_query(raw)


def test_ten_kilobyte_transcript_keeps_head_and_tail():
    head = "Customer: my Beacon satellite keeps dropping off the mesh since the update."
    tail = "Customer: so should I factory reset the H1 router now?"
    middle = " ".join(f"Agent: checking step {i}, please hold." for i in range(300))
    raw = f"{head} {middle} {tail}"
    assert len(raw) > 10_000
    cleaned = clean_query(raw)
    assert len(cleaned) <= 512
    assert cleaned.startswith(head)
    assert cleaned.endswith(tail)
    assert " … " in cleaned
    words = set(raw.split())
    assert all(word in words for word in cleaned.replace(" … ", " ").split())
    assert len(clean_query(raw, max_chars=100)) <= 100


def test_query_terms_drop_stopwords_and_keep_meaningful_words():
    assert query_terms("How do I set up port forwarding on my H2 Pro?") == ["set", "port", "forwarding", "h2", "pro"]
    assert query_terms("Wi-Fi NOT working after 802.11ax update, update again?") == [
        "wi-fi",
        "not",
        "working",
        "802.11ax",
        "update",
    ]
    assert query_terms("the and of") == []


def test_words_whose_stem_is_not_a_prefix_are_still_marked():
    # "companies" stems to "company": the quick "no query word here" check must not skip it.
    snippet = make_snippet("Both companies ship the router; the company's support answers.", "company")
    assert "<mark>companies</mark>" in snippet and "<mark>company&#x27;s</mark>" in snippet
    assert make_snippet("Nothing relevant in this sentence.", "company") == "Nothing relevant in this sentence."


IDEMPOTENT_CASES = [
    "word " * 400,  # cut once, joined with " … "
    "Überprüfung der Verbindung " * 60 + "ﬁnal ﬂag ㎏ Ｈ２",  # non-ASCII, NFKC expansions
    "客服 无法 连接 路由器 " * 120,
    "already … has an ellipsis " * 40,
    "a…b " * 300,
    "x" * 2000,
]


@pytest.mark.parametrize("raw", IDEMPOTENT_CASES, ids=range(len(IDEMPOTENT_CASES)))
@pytest.mark.parametrize("max_chars", [16, 100, 512])
def test_cleaning_a_cleaned_query_changes_nothing(raw, max_chars):
    once = clean_query(raw, max_chars=max_chars)
    assert len(once) <= max_chars
    assert clean_query(once, max_chars=max_chars) == once
