"""Demand: how much the editors' queue should want each cluster (size, recent growth, unmet searches)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone

from kb.models import Article, Cluster, ClusterMember
from kb.question_vectors import stored_vectors
from search.embeddings import get_embedder
from search.engine import Embedder, embedding_key
from search.models import SearchQueryLog
from search.services.embeddings import embed_missing

GROWTH_DAYS = 30
UNMET_DAYS = 90
UNMET_MAX_QUERIES = 2000


def _embedder(embedder: Embedder | None) -> Embedder:
    return embedder if embedder is not None else get_embedder()


def cluster_demand(*, size: int, recent_growth: int, unmet_searches: int, needs_review: bool = False) -> float:
    """Queue rank: every asker counts, recent askers and unanswered searchers more.

    demand = size + 2·recent_growth + 3·unmet_searches, doubled plus 10 when the
    cluster's article needs review, so stale articles rise above fresh candidates.
    """
    base = size + 2 * recent_growth + 3 * unmet_searches
    return float(base * 2 + 10 if needs_review else base)


def _unmet_counts(centroids: dict[int, np.ndarray], embedder: Embedder | None) -> Counter:
    """Recent searches that found nothing likely to answer them, each counted for the closest cluster if
    close enough."""
    since = timezone.now() - timedelta(days=UNMET_DAYS)
    poor = (SearchQueryLog.objects.filter(created_at__gte=since).unmet(below=settings.KB_UNMET_RELEVANCE)
            .order_by("-created_at").values_list("query", flat=True)[:UNMET_MAX_QUERIES])
    queries = [q.strip() for q in poor if q.strip()]
    if not queries or not centroids:
        return Counter()
    embedder = _embedder(embedder)
    keys = {q: embedding_key(q, embedder.name) for q in set(queries)}
    embed_missing({k: q for q, k in keys.items()}, embedder=embedder)
    found = stored_vectors(list(keys.values()))
    cids = list(centroids)
    base = np.vstack([centroids[c] for c in cids])
    counts: Counter = Counter()
    close = settings.KB_UNMET_SIMILARITY
    for q in queries:
        vec = found.get(keys[q])
        if vec is None:
            continue
        sims = base @ vec
        best = int(np.argmax(sims))
        if sims[best] >= close:
            counts[cids[best]] += 1
    return counts


def clusters_demand_update(*, embedder: Embedder | None = None) -> None:
    """Recompute growth, unmet searches and demand for every cluster with members."""
    clusters = list(Cluster.objects.filter(size__gt=0).only("id", "size", "centroid"))
    since = timezone.now() - timedelta(days=GROWTH_DAYS)
    growth = Counter(ClusterMember.objects.filter(thread__created_at__gte=since).values_list("cluster_id", flat=True))
    centroids = {c.pk: np.frombuffer(bytes(c.centroid), dtype="<f4") for c in clusters if c.centroid}
    unmet = _unmet_counts(centroids, embedder)
    review = set(Article.objects.filter(needs_review=True, cluster__isnull=False).values_list("cluster_id", flat=True))
    for c in clusters:
        c.recent_growth = growth.get(c.pk, 0)
        c.unmet_searches = unmet.get(c.pk, 0)
        c.demand = cluster_demand(size=c.size, recent_growth=c.recent_growth, unmet_searches=c.unmet_searches,
                                  needs_review=c.pk in review)
    Cluster.objects.bulk_update(clusters, ["recent_growth", "unmet_searches", "demand"], batch_size=1000)


def cluster_demand_refresh(*, cluster_id: int) -> None:
    """Recompute one cluster's demand from its stored figures (after a needs-review change)."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return
    needs_review = Article.objects.filter(cluster=cluster, needs_review=True).exists()
    cluster.demand = cluster_demand(size=cluster.size, recent_growth=cluster.recent_growth,
                                    unmet_searches=cluster.unmet_searches, needs_review=needs_review)
    cluster.save(update_fields=["demand", "updated_at"])
