"""Query cleaning and term extraction shared by search, keyword ranking and snippets."""
from __future__ import annotations

import functools
import re
import unicodedata

from core.stopwords import STOPWORDS

DEFAULT_MAX_CHARS = 512
# Share of a truncated query taken from its head; the rest comes from its tail.
HEAD_SHARE = 2 / 3
ELLIPSIS = " … "

# Letters, digits and joined forms such as "wi-fi", "802.11ac", "o'brien".
TERM_PATTERN = re.compile(r"\w+(?:[-.'’]\w+)*")


class QueryError(ValueError):
    """The query cannot be searched; the message is safe to show to the user."""


def _strip_controls(text: str) -> str:
    # Control (Cc) and format (Cf: zero-width, bidi overrides) characters become
    # spaces so words glued by them stay apart; newlines/tabs collapse later anyway.
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch for ch in text)


def clean_query(raw: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Normalise user input into a searchable query of at most ``max_chars`` characters.

    NFKC-normalises, turns control/format characters into spaces and collapses
    whitespace. Truncation keeps the head *and* the tail: agents paste whole
    chat transcripts, where the opening states the problem and the last lines
    hold the customer's latest question; the middle is mostly back-and-forth.
    The head gets two thirds of the budget, cuts happen at word boundaries, and
    the two parts are joined with " … ". Cleaning a cleaned query changes nothing.

    Raises ``QueryError`` when nothing searchable is left.
    """
    if not isinstance(raw, str):
        raise QueryError("The query must be text.")
    if max_chars < 16:
        raise ValueError("max_chars must be at least 16")
    # NFKC everywhere but in "…", which it would spell "...": a query this function cut (joined
    # with " … ") then comes back unchanged, not longer and cut a second time.
    text = "…".join(unicodedata.normalize("NFKC", part) for part in raw.split("…"))
    text = " ".join(_strip_controls(text).split())
    if not TERM_PATTERN.search(text):
        raise QueryError("The query is empty: type a few words describing your problem.")
    if len(text) <= max_chars:
        return text
    budget = max_chars - len(ELLIPSIS)
    head_budget = int(budget * HEAD_SHARE)
    head = _cut_head(text, head_budget)
    tail = _cut_tail(text, budget - len(head))
    return f"{head}{ELLIPSIS}{tail}" if tail else head


def _cut_head(text: str, limit: int) -> str:
    piece = text[: limit + 1]
    if len(piece) > limit:
        space = piece.rfind(" ")
        piece = piece[:space] if space > limit // 2 else piece[:limit]
    return piece.rstrip()


def _cut_tail(text: str, limit: int) -> str:
    piece = text[-(limit + 1):]
    if len(piece) > limit:
        space = piece.find(" ")
        piece = piece[space + 1:] if 0 <= space < limit // 2 else piece[-limit:]
    return piece.lstrip()


# Cached: snippets stem every word of every result they show, and words repeat.
@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately tiny stemmer: plural, -ing, -ed, possessive, final e.

    Applied to both query and text words, so only consistency matters:
    "update", "updates", "updated", "updating" all become "updat".
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    # Plurals first, so "settings" and "setting" meet at the -ing step.
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, min_len in (("ing", 6), ("ed", 5)):
        if len(w) >= min_len and w.endswith(suffix):
            w = w[: -len(suffix)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # "stopped" -> "stop", but "installing" keeps its l
            break
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


# A keyword query reads at most this many terms (a pasted transcript would otherwise score on hundreds).
MAX_KEYWORD_TERMS = 32


def query_terms(q: str) -> list[str]:
    """Lower-cased query words without stopwords, in order, without duplicates.

    Single characters are dropped unless they are digits ("port 8")."""
    seen: set[str] = set()
    terms: list[str] = []
    for match in TERM_PATTERN.finditer(q.lower()):
        term = match.group(0).replace("’", "'")
        if term in STOPWORDS or term.replace("'", "") in STOPWORDS:
            continue
        if len(term) == 1 and not term.isdigit():
            continue
        if term not in seen:
            seen.add(term)
            terms.append(term)
    return terms
