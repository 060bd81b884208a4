"""Words and stems for the keyword index, read exactly as SQLite FTS5 reads them.

The database keyword index on SQLite uses FTS5's ``porter unicode61
remove_diacritics 2`` tokenizer, and the search evaluation was tuned with it
(``bench/eval_search.py``). The in-memory keyword index uses the same tokenizer
for its stems, through an in-memory FTS5 table and its ``fts5vocab`` view, so
both read "Configuring Wi-Fi" as ``configur``, ``wi``, ``fi`` (measured on
StackFAQ: the lighter ``query.stem`` cost 0.008 nDCG@10 on the keyword ranker).
Each distinct word goes through SQLite once per process; after that it is a
dictionary lookup. Python's ``sqlite3`` ships FTS5 on the platforms we run on;
without it ``StemmerUnavailable`` is raised and keyword search stays on the
database's own index.
"""
from __future__ import annotations

import re
import sqlite3
import threading

from core.stopwords import STOPWORDS

# Runs of letters and digits: unicode61 splits on everything else ("wi-fi" -> "wi", "fi").
WORD = re.compile(r"[^\W_]+")
TOKENIZER = "porter unicode61 remove_diacritics 2"
MAX_CACHE = 500_000


class StemmerUnavailable(RuntimeError):
    """This Python's sqlite3 has no FTS5."""


def searchable(word: str) -> bool:
    """Words a query keeps (``query.query_terms``): no stopwords, no single letters."""
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


class PorterStems:
    """Word -> FTS5 porter stem(s), cached. Thread-safe: one lock around the cache and the database
    (a lookup holds it for microseconds; only unseen words reach SQLite)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, ...]] = {}
        try:
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
            self._db.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{TOKENIZER}')")
            self._db.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
        except sqlite3.OperationalError as exc:
            raise StemmerUnavailable(f"SQLite FTS5 is not available: {exc}") from exc

    def __call__(self, words: list[str]) -> list[str]:
        """Stems of ``words`` (lower-cased runs of letters and digits), in order."""
        with self._lock:
            cache = self._cache
            missing = [word for word in dict.fromkeys(words) if word not in cache]
            if missing:
                if len(cache) + len(missing) > MAX_CACHE:
                    cache = self._cache = {}
                    missing = list(dict.fromkeys(words))
                self._learn(missing)
            out: list[str] = []
            for word in words:
                out.extend(cache[word])
            return out

    def _learn(self, words: list[str]) -> None:
        db = self._db
        db.executemany("INSERT INTO words (rowid, word) VALUES (?, ?)", enumerate(words, start=1))
        found: dict[int, list[tuple[int, str]]] = {}
        for term, row, offset in db.execute("SELECT term, doc, offset FROM stems"):
            found.setdefault(row, []).append((offset, term))
        db.execute("DELETE FROM words")
        for row, word in enumerate(words, start=1):
            self._cache[word] = tuple(term for _, term in sorted(found.get(row, ())))


_stems: PorterStems | None = None
_stems_lock = threading.Lock()


def porter_stems(words: list[str]) -> list[str]:
    """The process's shared ``PorterStems``; raises ``StemmerUnavailable`` without FTS5."""
    global _stems
    if _stems is None:
        with _stems_lock:
            if _stems is None:
                _stems = PorterStems()
    return _stems(words)


def analyze(text: str) -> tuple[list[str], int]:
    """``(stems, length)`` of a document field: the stems of its searchable words, in order and
    repeated, and the count of all its words (BM25's length counts stopwords too)."""
    words = WORD.findall(text.lower())
    return porter_stems([word for word in words if searchable(word)]), len(words)


def query_stems(terms: list[str]) -> list[str]:
    """Distinct stems of query terms (as ``query.query_terms`` returns them), in order."""
    words = [part for term in terms for part in WORD.findall(term.lower()) if searchable(part)]
    return list(dict.fromkeys(porter_stems(words)))
