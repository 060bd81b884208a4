"""The versioned index files under ``SEARCH_INDEX_DIR``, and each process's live version.

Each version holds the FAISS index and, from the same pass, the in-memory
keyword index with its passage map and filter fields (``search.engine.index_store``).
The FAISS backend writes versions; it and the in-memory keyword backend read
the live one. ``get_live_index()`` re-reads the ``CURRENT`` file at most every
``SEARCH_INDEX_RELOAD_SECONDS`` and swaps in a new version without a restart.
"""
from __future__ import annotations

import threading

from django.conf import settings

from search.engine import IndexStore, LiveIndex

_lock = threading.Lock()
_live: dict[tuple[str, str], LiveIndex] = {}


def index_store() -> IndexStore:
    """The versioned index files under ``settings.SEARCH_INDEX_DIR``."""
    return IndexStore(settings.SEARCH_INDEX_DIR)


def get_live_index() -> LiveIndex:
    """The process's live index for the configured directory and model.

    Raises ``IndexUnavailable`` when the index was never built, is corrupt, or was
    built with another model.
    """
    key = (str(settings.SEARCH_INDEX_DIR), settings.SEARCH_MODEL)
    with _lock:
        live = _live.get(key)
        if live is None:
            live = LiveIndex(
                index_store(),
                expected_model=settings.SEARCH_MODEL,
                check_interval=settings.SEARCH_INDEX_RELOAD_SECONDS,
            )
            _live[key] = live
    # Loads on first use, and tells a missing index from a corrupt one.
    live.get()
    return live


def reset_live_index() -> None:
    """Forget loaded indexes (tests, or after the index directory was replaced)."""
    with _lock:
        _live.clear()
