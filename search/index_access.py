"""One embedder and one live vector index per process, configured from settings.

Web processes call ``get_live_index()`` on every query; it re-reads the index
directory's ``CURRENT`` file at most every ``SEARCH_INDEX_RELOAD_SECONDS`` and
swaps in a new version without a restart. Workers that write the index use
``search.indexing`` instead, which loads and saves through ``index_store()``.
"""
from __future__ import annotations

import logging
import threading

import numpy as np
from django.conf import settings
from django.db import connection

from search.engine import Embedder, IndexStore, IndexUnavailable, LiveIndex, SentenceTransformerEmbedder
from search.engine.embedding import PendingQuery

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_live: dict[tuple[str, str], LiveIndex] = {}
_embedders: dict[str, Embedder] = {}

__all__ = [
    "IndexUnavailable",
    "embed_query",
    "start_query_embedding",
    "get_embedder",
    "get_live_index",
    "index_store",
    "passage_documents",
    "reset_live_index",
]


def index_store() -> IndexStore:
    """The versioned index files under ``settings.SEARCH_INDEX_DIR``."""
    return IndexStore(settings.SEARCH_INDEX_DIR)


def get_live_index() -> LiveIndex:
    """The process's live index for the configured directory and model.

    Raises ``IndexUnavailable`` when the index was never built, is corrupt, or was
    built with another model. The caller falls back to keyword search and calls
    ``search.keyword.schedule_rebuild``.
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


def get_embedder() -> Embedder:
    """The configured sentence-transformers model (``SEARCH_MODEL``), loaded lazily, one per process."""
    name = settings.SEARCH_MODEL
    with _lock:
        embedder = _embedders.get(name)
        if embedder is None:
            embedder = _embedders[name] = SentenceTransformerEmbedder(
                name, trace_queries=settings.SEARCH_TRACE_QUERIES)
    return embedder


def start_query_embedding(text: str) -> PendingQuery:
    """Begin embedding one query; ``result()`` gives what ``embed_query`` returns. With the
    traced encoder the forward pass runs on the model thread meanwhile (see ``search.ranking.rank``).
    Raises ``ModelUnavailable`` without the model."""
    return get_embedder().start_query(text)


def embed_query(text: str) -> np.ndarray:
    """A 1×dim float32 unit vector for one query. Raises ``ModelUnavailable`` without the model."""
    return start_query_embedding(text).result()


def _passages_with_candidate_fields(ids: list[int]) -> list[tuple]:
    """``(passage id, document id, *Candidates.FIELDS of the document)`` for the passages ``ids``.

    In SQL rather than the ORM: this runs on every search, and building the join
    through the ORM took twice as long as the database took to answer it.
    """
    from search.models import Document, Passage
    from search.permissions import Candidates
    from search.sql import id_in

    fields = ", ".join(f"d.{Document._meta.get_field(name).column}" for name in Candidates.FIELDS)
    where, params = id_in("p.id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.document_id, {fields} FROM {Passage._meta.db_table} p "
            f"JOIN {Document._meta.db_table} d ON d.id = p.document_id WHERE {where}",
            params,
        )
        return cursor.fetchall()


def passage_documents(passage_ids: list[int], *, candidates=None) -> dict[int, int]:
    """Map passage ids (FAISS ids) to document ids; ids no longer stored are left out.

    With ``candidates`` (``permissions.Candidates``, or a ``Document`` queryset)
    passages of documents outside them are left out too. ``Candidates`` are
    checked in the same query, read by the passages' primary keys, so the cost
    follows the number of ids, never the size of the candidate set.
    """
    from search.models import Passage
    from search.permissions import Candidates, as_candidates

    ids = [int(pid) for pid in passage_ids if int(pid) >= 0]
    if not ids:
        return {}
    candidates = as_candidates(candidates)
    mapping: dict[int, int] = {}
    # Chunked: SQLite allows at most 32k bound parameters per statement.
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        if isinstance(candidates, Candidates):
            mapping.update((pid, doc) for pid, doc, *row in _passages_with_candidate_fields(chunk)
                           if candidates.decide(doc, *row))
        else:
            mapping.update(Passage.objects.filter(pk__in=chunk).order_by().values_list("id", "document_id"))
    if candidates is not None and not isinstance(candidates, Candidates) and mapping:
        allowed = candidates.filter_ids(set(mapping.values()))
        mapping = {pid: doc for pid, doc in mapping.items() if doc in allowed}
    return mapping
