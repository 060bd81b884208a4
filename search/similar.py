"""Questions similar to a draft, and articles that may answer it: what the ask form shows as the title is typed.

Semantic search over community questions and harvested threads, so "Beacon
keeps disconnecting" finds "satellite drops off the mesh". When nothing
comes back from the search index (not built yet, or the text has no usable
words for it) the old title keyword match answers, so the ask form never goes
quiet.
"""
from __future__ import annotations

import re

from django.db.models import Q

from community.models import Thread
from core.errors import ServiceError
from core.stopwords import STOPWORDS
from search.engine.query import QueryError
from search.models import Document
from search.selectors import search_documents

# Below this cosine a neighbour is not "similar", only "nearest"; keyword matches pass regardless.
MIN_DENSE_SCORE = 0.35


def keywords(text: str, *, limit: int = 8) -> list[str]:
    words = re.findall(r"[\w'-]{3,}", (text or "").lower())
    out: list[str] = []
    for word in words:
        if word not in STOPWORDS and word not in out:
            out.append(word)
    return out[:limit]


def similar_threads(*, text: str, user=None, limit: int = 5, exclude_id: int | None = None) -> list[Thread]:
    """Up to ``limit`` visible threads (community questions and harvested threads) like ``text``, best first."""
    threads = _semantic(text=text, user=user, limit=limit, exclude_id=exclude_id)
    if threads:
        return threads
    return _title_keywords(text=text, limit=limit, exclude_id=exclude_id)


def similar_articles(*, text: str, user=None, limit: int = 3) -> list:
    """Up to ``limit`` published articles ``user`` may read that look like an answer to ``text``, best
    first (``SearchResult``s). Same closeness rule as the threads; not logged, since the threads'
    search of the same keystroke already is. Nothing without a usable index or text."""
    try:
        results = search_documents(query=text, user=user, kinds=[Document.Kind.ARTICLE], limit=limit,
                                   channel="suggest", log=False)
    except (QueryError, ServiceError):
        return []
    return [r for r in results if r.keyword_score is not None or (r.dense_score or 0.0) >= MIN_DENSE_SCORE]


def _semantic(*, text: str, user, limit: int, exclude_id: int | None) -> list[Thread]:
    try:
        results = search_documents(
            query=text, user=user, kinds=[Document.Kind.QUESTION, Document.Kind.THREAD],
            limit=limit + 1, channel="suggest",
        )
    except (QueryError, ServiceError):
        return []
    wanted = [
        r.object_id for r in results
        if r.object_id != exclude_id
        and (r.keyword_score is not None or (r.dense_score or 0.0) >= MIN_DENSE_SCORE)
    ]
    # Re-read through the thread store's visibility rule: search results lag the threads.
    found = Thread.objects.visible().in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found][:limit]


def _title_keywords(*, text: str, limit: int, exclude_id: int | None) -> list[Thread]:
    terms = keywords(text)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition |= Q(title__icontains=term)
    candidates = Thread.objects.visible().filter(condition)
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    scored = []
    for thread in candidates.only("id", "title", "answer_count", "total_score", "source_id")[:200]:
        title = thread.title.lower()
        hits = sum(1 for term in terms if term in title)
        scored.append((hits, thread.total_score, thread))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [thread for _, _, thread in scored[:limit]]
