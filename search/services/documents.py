"""Search documents from their sources: threads (community questions, harvested threads) and KB articles.

A ``Document`` row is written here; its passages, vectors and keyword entries are
written by ``search.services.indexing``, which compares ``content_hash`` with
``indexed_hash`` to know what is stale. Threads are read in chunks with their
visible posts prefetched, so syncing 100k threads costs a few hundred queries.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from community.models import Post, Thread
from core.queueing import delay_ids_on_commit
from search.engine import html_to_text, markdown_to_text
from search.models import Document

THREAD_CHUNK = 500
THREAD_KINDS = (Document.Kind.QUESTION, Document.Kind.THREAD)
_FIELDS = ("title", "text", "synonyms", "url", "tags", "source", "visibility", "is_active", "popularity")


def document_hash(*, title: str, text: str, synonyms: str) -> str:
    """What the passages and keyword entry depend on: a change here means re-indexing."""
    digest = hashlib.sha256()
    for part in (title, text, synonyms):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _plain(post: Post) -> str:
    if post.body_format == Post.Format.HTML:
        return html_to_text(post.body)
    return markdown_to_text(post.body)


def thread_document_fields(thread: Thread, visible_posts: list[Post]) -> dict:
    """The searchable form of one thread: its question and the accepted (else best-scored) answer.

    Precondition: ``visible_posts`` are the thread's published, non-hidden,
    non-deleted posts. A thread that is held, hidden or deleted yields an
    inactive document, which the indexer takes out of both indexes.
    """
    question = next((post for post in visible_posts if post.is_question), None)
    answers = [post for post in visible_posts if not post.is_question]
    # Accepted first, then score, then the earliest: the answer a reader would trust.
    answers.sort(key=lambda post: (not post.is_accepted, -post.total_score, post.created_at, post.pk))
    parts = [_plain(question)] if question else []
    if answers:
        parts.append(_plain(answers[0]))
    is_community = thread.source.kind == "community"
    return {
        "kind": Document.Kind.QUESTION if is_community else Document.Kind.THREAD,
        "title": thread.title[:500],
        "text": "\n\n".join(part for part in parts if part),
        "synonyms": "",
        "url": thread.get_absolute_url()[:500],
        "tags": " ".join(sorted(tag.name for tag in thread.tags.all()))[:500],
        "source": thread.source.slug[:80],
        "visibility": Document.Visibility.PUBLIC,
        "is_active": thread.is_visible,
        # Votes count, views a little: a 10k-view thread is not 10k times better.
        "popularity": float(thread.total_score) + math.log1p(thread.view_count),
    }


def _apply(doc: Document, fields: dict) -> bool:
    """Copy ``fields`` onto ``doc``; True when anything changed."""
    content = document_hash(title=fields["title"], text=fields["text"], synonyms=fields["synonyms"])
    changed = doc.pk is None or doc.content_hash != content
    for name in _FIELDS:
        if getattr(doc, name) != fields[name]:
            setattr(doc, name, fields[name])
            changed = True
    doc.content_hash = content
    if changed:
        doc.updated_at = timezone.now()
    return changed


def documents_sync_threads(*, thread_ids: Iterable[int]) -> list[int]:
    """Create or update the documents of ``thread_ids``; returns ids of documents that changed.

    Threads that no longer exist have their documents deactivated. The caller
    indexes the returned ids (``search.services.indexing.index_documents``).
    """
    ids = sorted({int(pk) for pk in thread_ids})
    changed: list[int] = []
    for start in range(0, len(ids), THREAD_CHUNK):
        changed.extend(_sync_chunk(ids[start:start + THREAD_CHUNK]))
    return changed


@transaction.atomic
def _sync_chunk(ids: list[int]) -> list[int]:
    posts = Post.objects.visible().only("id", "thread_id", "is_question", "is_accepted", "score", "local_score", "total_score", "created_at", "body", "body_format")
    threads = (
        Thread.objects.filter(pk__in=ids)
        .select_related("source")
        .prefetch_related("tags", Prefetch("posts", queryset=posts, to_attr="visible_posts"))
    )
    existing = {
        doc.object_id: doc for doc in Document.objects.filter(kind__in=THREAD_KINDS, object_id__in=ids)
    }
    to_create: list[Document] = []
    to_update: list[Document] = []
    seen: set[int] = set()
    for thread in threads:
        seen.add(thread.pk)
        fields = thread_document_fields(thread, thread.visible_posts)
        doc = existing.get(thread.pk)
        if doc is not None and doc.kind != fields["kind"]:
            doc.is_active = False  # the thread moved between community and harvest: rare, re-create
            to_update.append(doc)
            doc = None
        if doc is None:
            doc = Document(kind=fields["kind"], object_id=thread.pk, content_hash="")
            _apply(doc, fields)
            to_create.append(doc)
        elif _apply(doc, fields):
            to_update.append(doc)
    for object_id, doc in existing.items():
        if object_id not in seen and doc.is_active:
            doc.is_active = False
            doc.updated_at = timezone.now()
            to_update.append(doc)
    if to_update:
        # In id order, so two passes over overlapping threads lock rows in one order (no deadlock).
        to_update.sort(key=lambda doc: doc.pk)
        Document.objects.bulk_update(to_update, [*_FIELDS, "content_hash", "updated_at", "kind"])
    if to_create:
        # ON CONFLICT DO UPDATE: a concurrent pass may have created the same documents since we
        # read; both passes read the same threads, so either's row is right and neither fails.
        to_create.sort(key=lambda doc: (doc.kind, doc.object_id))
        Document.objects.bulk_create(
            to_create, update_conflicts=True, unique_fields=["kind", "object_id"],
            update_fields=[*_FIELDS, "content_hash", "updated_at"],
        )
        # Not every backend returns ids from bulk_create; read them back.
        if any(doc.pk is None for doc in to_create):
            keys = {(doc.kind, doc.object_id) for doc in to_create}
            by_key = {
                (kind, oid): pk
                for pk, kind, oid in Document.objects.filter(object_id__in=[k[1] for k in keys]).values_list(
                    "id", "kind", "object_id"
                )
            }
            for doc in to_create:
                doc.pk = by_key[(doc.kind, doc.object_id)]
    return [doc.pk for doc in to_update + to_create]


@transaction.atomic
def document_upsert(
    *,
    kind: str,
    object_id: int,
    title: str,
    text: str,
    url: str,
    tags: str | Iterable[str],
    source: str,
    visibility: str,
    is_active: bool,
    synonyms: str = "",
    popularity: float = 0.0,
) -> Document:
    """Create or update the document for one searchable item (the KB app calls this for articles).

    ``text`` is plain text (convert Markdown/HTML first); ``synonyms`` holds other
    phrasings, one per line, each indexed as its own passage; ``is_active=False``
    takes the item out of search. Indexing runs after the transaction commits, in
    the background (``search.tasks.index_documents``).
    """
    if kind not in Document.Kind.values:
        raise ValueError(f"unknown document kind {kind!r}")
    if visibility not in Document.Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    tag_text = tags if isinstance(tags, str) else " ".join(tags)
    fields = {
        "title": title[:500],
        "text": text,
        "synonyms": synonyms or "",
        "url": url[:500],
        "tags": " ".join(tag_text.split())[:500],
        "source": source[:80],
        "visibility": visibility,
        "is_active": bool(is_active),
        "popularity": float(popularity),
    }
    doc = Document.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
    if doc is None:
        # Two first writers of one item: the second finds the first's row instead of failing
        # on the unique constraint, and waits for it under the row lock.
        Document.objects.bulk_create(
            [Document(kind=kind, object_id=object_id, content_hash="", **fields)], ignore_conflicts=True)
        doc = Document.objects.select_for_update().get(kind=kind, object_id=object_id)
    if _apply(doc, fields):
        doc.save()
        _index_on_commit([doc.pk])
    return doc


@transaction.atomic
def document_remove(*, kind: str, object_id: int) -> bool:
    """Take one item out of search (deleted or unpublished); True when it was searchable.

    The row stays, inactive, so re-publishing reuses its stored embeddings.
    """
    updated = Document.objects.filter(kind=kind, object_id=object_id, is_active=True).update(
        is_active=False, updated_at=timezone.now()
    )
    if updated:
        ids = list(Document.objects.filter(kind=kind, object_id=object_id).values_list("id", flat=True))
        _index_on_commit(ids)
    return bool(updated)


def _index_on_commit(document_ids: list[int]) -> None:
    """Queue indexing after commit: one task per transaction, however many documents it wrote.

    An import of 500 articles in one transaction thus embeds in batches and
    saves the vector index once, instead of 500 times.
    """
    delay_ids_on_commit("search.tasks.index_documents", document_ids,
                        what=f"indexing of {len(document_ids)} documents; the periodic sweep will retry")
