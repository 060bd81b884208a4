"""The process's embedding model (``SEARCH_MODEL``): loaded lazily, once per process.

Indexing embeds passages with it, the vector backend embeds queries with it, and
kb's clustering embeds questions with it. Stored vectors are written by
``search.services.embeddings``.
"""
from __future__ import annotations

import threading

import numpy as np
from django.conf import settings

from search.engine import Embedder, SentenceTransformerEmbedder
from search.engine.embedding import PendingQuery

_lock = threading.Lock()
_embedders: dict[str, Embedder] = {}


def get_embedder() -> Embedder:
    """The configured sentence-transformers model, one per process."""
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
