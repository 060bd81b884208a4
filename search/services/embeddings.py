"""Stored embeddings: embed what has no vector yet, re-key passages after a model change, read vectors.

Vectors are stored as little-endian float32 bytes keyed by
``embedding_key(text, model)``, so unchanged text is never embedded twice and the
vector index can be rebuilt without the model. kb's clustering stores its
question vectors here too.
"""
from __future__ import annotations

import logging

import numpy as np
from django.conf import settings

from search.embeddings import get_embedder
from search.engine import Embedder, embedding_key
from search.engine.batches import Progress, chunks
from search.models import Embedding, Passage

logger = logging.getLogger(__name__)

EMBED_BATCH = 64
# Texts per encode call: the model sorts a call's texts by length, so bigger calls pad less
# (measured: one call of 500 texts ran 35% faster than calls of 64).
EMBED_CHUNK = 2048
ROW_CHUNK = 5000


def _vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def embed_missing(texts_by_key: dict[str, str], *, embedder: Embedder, progress: Progress | None = None) -> int:
    """Embed and store the texts whose key has no ``Embedding`` row yet; returns how many were embedded.

    Precondition: keys are ``embedding_key(text, embedder.name)``. Encodes in
    batches of ``EMBED_BATCH`` and stores each chunk as it is done, so an
    interrupted run keeps its work.
    """
    keys = list(texts_by_key)
    existing: set[str] = set()
    for chunk in chunks(keys, ROW_CHUNK):
        existing.update(Embedding.objects.filter(key__in=chunk).values_list("key", flat=True))
    missing = [key for key in keys if key not in existing]
    done = 0
    for chunk in chunks(missing, EMBED_CHUNK):
        vectors = embedder.encode([texts_by_key[key] for key in chunk], batch_size=EMBED_BATCH)
        Embedding.objects.bulk_create(
            [
                Embedding(key=key, model_name=embedder.name, dim=vectors.shape[1], vector=_vector_bytes(vector))
                for key, vector in zip(chunk, vectors)
            ],
            ignore_conflicts=True,  # a concurrent worker may have stored the same text
            batch_size=500,
        )
        done += len(chunk)
        if progress:
            progress("embed", done, len(missing))
    return len(missing)


def vectors_for(rows: list[tuple[int, str]]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` for ``(passage id, embedding key)`` rows that have a stored vector."""
    stored: dict[str, bytes] = {}
    for chunk in chunks(sorted({key for _, key in rows}), ROW_CHUNK):
        stored.update(Embedding.objects.filter(key__in=chunk).values_list("key", "vector"))
    found = [(pid, stored[key]) for pid, key in rows if key in stored]
    if len(found) < len(rows):
        logger.warning("%s passages have no stored embedding; the consistency check will report them",
                       len(rows) - len(found))
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.fromiter((pid for pid, _ in found), dtype=np.int64, count=len(found))
    vectors = np.stack([np.frombuffer(bytes(blob), dtype="<f4") for _, blob in found]).astype(np.float32)
    return ids, vectors


def passages_rekey_and_embed(*, embedder: Embedder | None, progress: Progress | None) -> int:
    """Point every active passage at the configured model's key; embed what has no vector.

    After a model change this re-embeds everything (in chunks, stored as it
    goes); otherwise it reads keys and hashes texts, and loads no model.
    Returns how many texts were embedded.
    """
    model = settings.SEARCH_MODEL
    qs = Passage.objects.filter(document__is_active=True).order_by("pk")
    total, done, embedded, last = qs.count(), 0, 0, 0
    while True:
        rows = list(qs.filter(pk__gt=last).values_list("id", "text", "embedding_key")[:ROW_CHUNK])
        if not rows:
            return embedded
        last = rows[-1][0]
        stale = []
        texts: dict[str, str] = {}
        for pid, text, key in rows:
            fresh = embedding_key(text, model)
            texts[fresh] = text
            if fresh != key:
                stale.append(Passage(pk=pid, embedding_key=fresh))
        if stale:
            Passage.objects.bulk_update(stale, ["embedding_key"], batch_size=500)
        known = set(Embedding.objects.filter(key__in=list(texts)).values_list("key", flat=True))
        missing = {key: text for key, text in texts.items() if key not in known}
        if missing:
            embedder = embedder or get_embedder()
            if embedder.name != model:
                raise ValueError(f"embedder {embedder.name!r} is not the configured model {model!r}")
            embedded += embed_missing(missing, embedder=embedder)
        done += len(rows)
        if progress:
            progress("vectors", done, total)
