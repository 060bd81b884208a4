"""Questions similar to a draft: the interface the ask form uses.

A keyword match over titles for now; semantic search replaces the body of
``similar_threads`` without changing its signature.
"""
from __future__ import annotations

import re

from django.db.models import Q

STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in is it my of on or so the this to "
    "what when where which why with you your me we our not no there their get got have has after".split()
)


def keywords(text: str, *, limit: int = 8) -> list[str]:
    words = re.findall(r"[\w'-]{3,}", (text or "").lower())
    out: list[str] = []
    for word in words:
        if word not in STOPWORDS and word not in out:
            out.append(word)
    return out[:limit]


def similar_threads(*, text: str, user=None, limit: int = 5, exclude_id: int | None = None) -> list:
    from community.selectors import visible_threads

    terms = keywords(text)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition |= Q(title__icontains=term)
    candidates = visible_threads(user=user).filter(condition)
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    scored = []
    for thread in candidates.only("id", "title", "answer_count", "score", "source_id")[:200]:
        title = thread.title.lower()
        hits = sum(1 for term in terms if term in title)
        scored.append((hits, thread.score, thread))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [thread for _, _, thread in scored[:limit]]
