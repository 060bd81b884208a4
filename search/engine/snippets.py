"""Query-biased snippets with highlighted terms, safe to insert into HTML as-is."""
from __future__ import annotations

import html
import re

from .query import TERM_PATTERN, query_terms, stem

ELLIPSIS = "…"
# Characters of context kept before the first match of the chosen window, so the
# snippet does not start on the matched word itself.
LEAD_IN = 40


def _matches(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    # ``stem`` only cuts a suffix (and may then turn "ie" into "y"), so a word with stem s
    # starts with s minus its last character: when none of those occurs in the text, no
    # word can match and the word-by-word scan is skipped, and in the scan only words
    # starting with one of them are stemmed (stemming every word was most of the cost).
    lowered = text.lower().replace("’", "'")
    prefixes = tuple({s[:-1] for s in stems})
    if not any(prefix in lowered for prefix in prefixes):
        return []
    return [
        (m.start(), m.end())
        for m in TERM_PATTERN.finditer(text)
        if (word := m.group(0).lower().replace("’", "'")).startswith(prefixes) and stem(word) in stems
    ]


def _best_window(matches: list[tuple[int, int]], width: int) -> int:
    """Start offset of the ``width``-wide window holding the most whole matches.

    Two pointers over the sorted matches: O(n). Ties keep the earliest window,
    which tends to be the more general part of an answer.
    """
    best_start, best_count, right = matches[0][0], 0, 0
    for left, (start, _) in enumerate(matches):
        right = max(right, left)
        while right < len(matches) and matches[right][1] <= start + width:
            right += 1
        if right - left > best_count:
            best_start, best_count = start, right - left
    return best_start


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a cut that falls inside a word to the nearest whitespace within it."""
    if 0 < start < len(text) and not text[start - 1].isspace():
        space = text.find(" ", start)
        if space != -1 and space < end:
            start = space + 1
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", start, end)
        if space > start:
            end = space
    return start, end


def make_snippet(text: str, query: str, *, width: int = 220) -> str:
    """Return about ``width`` characters of ``text`` around the query's terms, as HTML.

    Precondition: ``text`` is plain text (not HTML); whitespace is collapsed.
    The window with the most query-term matches (same simple stemming as
    ``query.stem``, case-insensitive) is chosen, cut at word boundaries and
    marked with "…" where text was dropped. Every piece of the source text is
    HTML-escaped *before* ``<mark>`` tags are added around matches, so the only
    markup in the result is ours. Without any match the opening is returned.
    """
    if width < 20:
        raise ValueError("width must be at least 20 characters")
    text = " ".join(text.split())
    if not text:
        return ""
    stems = frozenset(stem(t) for t in query_terms(query))
    matches = _matches(text, stems) if stems else []

    if len(text) <= width:
        start, end = 0, len(text)
    else:
        if matches:
            first = _best_window(matches, width - LEAD_IN)
            start = max(0, first - LEAD_IN)
        else:
            start = 0
        end = min(len(text), start + width)
        start = max(0, min(start, end - width))  # fill the width near the end of text
        start, end = _snap(text, start, end)

    pieces: list[str] = []
    if start > 0:
        pieces.append(ELLIPSIS)
    cursor = start
    for m_start, m_end in matches:
        if m_start < start or m_end > end:
            continue
        pieces.append(html.escape(text[cursor:m_start]))
        pieces.append(f"<mark>{html.escape(text[m_start:m_end])}</mark>")
        cursor = m_end
    pieces.append(html.escape(text[cursor:end]))
    if end < len(text):
        pieces.append(ELLIPSIS)
    return "".join(pieces).strip()


_TAG = re.compile(r"</?mark>")


def snippet_plain_length(snippet: str) -> int:
    """Visible length of a snippet (marks removed, entities decoded); for tests and layout."""
    return len(html.unescape(_TAG.sub("", snippet)))
