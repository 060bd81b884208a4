"""Indexing: documents into passages, stored embeddings and every backend's index.

Flow for changed documents (``index_documents``): split into passages with the
model's tokenizer, embed only texts whose (text, model) key has no stored
``Embedding``, replace the changed ``Passage`` rows (new rows get new ids, which
HNSW requires), update the keyword backends' indexes, then hand all removals
and additions to the vector backend, which applies them at once (the FAISS
backend: under one lock, one new version). Threads become documents in
``search.services.documents``.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from community.models import Thread
from search.backends import keyword_backends, vector_backend
from search.embeddings import get_embedder
from search.engine import Embedder, embedding_key, split_passages
from search.engine.batches import Progress, chunks
from search.models import Document, Passage
from search.services.documents import documents_sync_threads
from search.services.embeddings import embed_missing

DOC_CHUNK = 1000
MAX_SYNONYM_PASSAGES = 8


@dataclass
class IndexReport:
    documents: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    embedded: int = 0
    version: int | None = None
    rebuilt: bool = False
    extra: dict = field(default_factory=dict)


# --- passages and embeddings ------------------------------------------------------------


def passage_texts(doc: Document, *, embedder: Embedder) -> list[str]:
    """What gets embedded for ``doc``: body passages, then one passage per synonym line.

    Passages fit ``embedder.max_tokens`` as counted by the model's own tokenizer.
    Inactive documents have none.
    """
    if not doc.is_active:
        return []
    token_len = getattr(embedder, "token_len", None)
    limits = {"tokenizer_len": token_len, "max_tokens": embedder.max_tokens}
    texts = split_passages(doc.title, doc.text, **limits)
    lines = [" ".join(line.split()) for line in doc.synonyms.splitlines()]
    for line in [line for line in lines if line][:MAX_SYNONYM_PASSAGES]:
        texts.extend(split_passages(doc.title, line, max_passages=1, **limits))
    return texts or [doc.title]


# --- documents to passages --------------------------------------------------------------


def index_documents(
    document_ids: Iterable[int], *, embedder: Embedder | None = None, update_vectors: bool = True,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the passages, embeddings and every backend's entries of these documents up to date.

    Active documents whose ``indexed_hash`` differs from ``content_hash`` (or that
    have no passages) are re-split; unchanged passages keep their rows and ids.
    Inactive documents lose their passages. With ``update_vectors`` the vector
    backend gets the whole call's changes at once (the rebuild passes False and
    builds the index itself).
    """
    embedder = embedder or get_embedder()
    ids = sorted({int(pk) for pk in document_ids})
    report = IndexReport()
    added: list[int] = []
    removed: list[int] = []
    changed: list[int] = []
    for done, chunk in enumerate(chunks(ids, DOC_CHUNK), start=1):
        chunk_added, chunk_removed, chunk_changed = _index_chunk(
            chunk, embedder=embedder, report=report, progress=progress)
        added += chunk_added
        removed += chunk_removed
        changed += chunk_changed
        if progress:
            progress("documents", min(done * DOC_CHUNK, len(ids)), len(ids))
    report.passages_added, report.passages_removed = len(added), len(removed)
    if update_vectors and ids:
        # ``refresh``: a document whose visibility, tags or source changed keeps its passages, but
        # search reads those fields from the keyword index as a hint (``Candidates.allow_known``).
        report.version, report.rebuilt = vector_backend().apply(
            add_ids=added, remove_ids=removed, embedder=embedder, documents=changed, refresh=ids)
    return report


def _index_chunk(
    ids: list[int], *, embedder: Embedder, report: IndexReport, progress: Progress | None
) -> tuple[list[int], list[int], list[int]]:
    """``(passage ids added, passage ids removed, documents re-split)`` for one chunk of documents."""
    docs = list(Document.objects.filter(pk__in=ids))
    old: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    for pid, doc_id, position, key in Passage.objects.filter(document_id__in=ids).values_list(
        "id", "document_id", "position", "embedding_key"
    ):
        old[doc_id][position] = (pid, key)
    plans: dict[int, list[tuple[str, str]]] = {}
    to_embed: dict[str, str] = {}
    for doc in docs:
        if doc.is_active and doc.indexed_hash == doc.content_hash and old[doc.pk]:
            continue
        texts = passage_texts(doc, embedder=embedder)
        plan = [(text, embedding_key(text, embedder.name)) for text in texts]
        plans[doc.pk] = plan
        to_embed.update({key: text for text, key in plan})
    report.embedded += embed_missing(to_embed, embedder=embedder, progress=progress)

    with transaction.atomic():
        # Lock the documents (in id order) and compare the plans with the passages stored *now*:
        # a concurrent pass over the same documents either committed already (its rows are
        # read here and kept where they match) or waits for this one; both converge on the
        # plan, and neither inserts a (document, position) the other holds.
        list(Document.objects.select_for_update().filter(pk__in=list(plans)).order_by("pk").values_list("pk"))
        current_rows: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
        for pid, doc_id, position, key in Passage.objects.filter(document_id__in=list(plans)).values_list(
            "id", "document_id", "position", "embedding_key"
        ):
            current_rows[doc_id][position] = (pid, key)
        removed: list[int] = []
        new_rows: list[Passage] = []
        for doc in docs:
            plan = plans.get(doc.pk)
            if plan is None:
                continue
            current = current_rows[doc.pk]
            for position, (pid, key) in current.items():
                if position >= len(plan) or plan[position][1] != key:
                    removed.append(pid)
            for position, (text, key) in enumerate(plan):
                if position not in current or current[position][1] != key:
                    new_rows.append(Passage(document_id=doc.pk, position=position, text=text, embedding_key=key))
            # The hash the plan was made from: a change made meanwhile leaves the document stale.
            doc.indexed_hash = doc.content_hash if doc.is_active else ""
        Passage.objects.filter(pk__in=removed).delete()
        created = Passage.objects.bulk_create(new_rows, batch_size=500)
        changed = [doc for doc in docs if doc.pk in plans]
        Document.objects.bulk_update(changed, ["indexed_hash"], batch_size=500)
        for backend in keyword_backends():
            backend.update(ids)
    report.documents += len(plans)
    added = [row.pk for row in created if row.pk is not None]
    if len(added) < len(created):  # backends without RETURNING: read the new ids back
        keys = {(row.document_id, row.position) for row in created}
        added = [
            pid for pid, doc_id, pos in Passage.objects.filter(document_id__in=list(plans)).values_list(
                "id", "document_id", "position") if (doc_id, pos) in keys
        ]
    return added, removed, list(plans)


def threads_index(*, thread_ids: Iterable[int], embedder: Embedder | None = None) -> IndexReport:
    """Re-read threads into documents and index what changed (the signal and dirty-flag path).

    The dirty flag is cleared *before* reading, so a change made while this runs
    marks the thread again and is picked up by the next pass; on failure the flag
    is restored.
    """
    ids = sorted({int(pk) for pk in thread_ids})
    if not ids:
        return IndexReport()
    Thread.objects.filter(pk__in=ids, search_dirty=True).update(search_dirty=False)
    try:
        changed = set(documents_sync_threads(thread_ids=ids))
        # Documents a failed earlier pass left stale are retried here as well.
        changed.update(
            Document.objects.filter(kind__in=("question", "thread"), object_id__in=ids)
            .exclude(indexed_hash=F("content_hash"))
            .values_list("id", flat=True)
        )
        return index_documents(changed, embedder=embedder)
    except Exception:
        Thread.objects.filter(pk__in=ids).update(search_dirty=True)
        raise
