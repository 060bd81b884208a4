"""Clustering runs over the thread store: full re-runs, incremental runs, demand.

The pure core (``kb.engine.clustering``) works on ids and vectors; this module is the
ORM edge around it:
- ``clusters_rebuild``: every visible thread of every source, clustered afresh;
  groups keep the id of the old cluster they continue (``recluster`` →
  ``match_clusters``), so drafts and editor work stay attached.
- ``clusters_update``: new threads join the nearest cluster (or an article's
  cluster) when close enough, else form new candidates with earlier leftovers.
Editor decisions are never undone: frozen, dismissed and merged clusters, and
clusters whose article an editor has touched, are "locked" (their members are
left out of re-runs); pinned members never move. ``Cluster.demand`` ranks the
editors' queue (``cluster_demand``).
"""
from __future__ import annotations

import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kb.engine.clustering.incremental import assign_incremental, recluster
from kb.models import Article, ArticleVersion, Cluster, ClusterMember
from kb.question_vectors import question_vectors, stored_vectors
from kb.services.drafts import article_draft_from_cluster
from search.embeddings import get_embedder
from search.engine import Embedder, embedding_key
from search.engine.batches import chunks
from search.locks import index_write_lock
from search.models import SearchQueryLog
from search.services.embeddings import embed_missing

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
GROWTH_DAYS = 30
UNMET_DAYS = 90
UNMET_MAX_QUERIES = 2000


@dataclass
class ClusterReport:
    threads: int = 0
    embedded: int = 0
    clusters: int = 0  # clusters holding threads after the run
    candidates: int = 0  # of those, still without an article
    created: int = 0
    drafted: int = 0
    joined: int = 0
    held: int = 0  # new threads close to a frozen cluster, left for an editor
    removed: int = 0  # clusters that dissolved
    touched: list[int] = field(default_factory=list)


CLUSTERING_LOCK = ".clustering.lock"


def clustering_lock(*, blocking: bool = True):
    """The lock one clustering run holds across processes; yields False when busy and not ``blocking``."""
    return index_write_lock(blocking=blocking, name=CLUSTERING_LOCK)


def _clustering_lock(*, held: bool):
    # flock locks per open file: taking it again in the process that holds it would wait forever.
    return contextlib.nullcontext() if held else clustering_lock()


def _embedder(embedder: Embedder | None) -> Embedder:
    return embedder if embedder is not None else get_embedder()


def _untouched_draft(article: Article) -> bool:
    """A draft no editor has changed yet: the clustering may rewrite or drop it."""
    return article.status == Article.Status.DRAFT and not ArticleVersion.objects.filter(
        article=article, author__isnull=False
    ).exists()


def frozen_cluster_ids() -> set[int]:
    """Clusters an editor decided about: never joined, changed or re-used."""
    return set(Cluster.objects.filter(
        Q(frozen=True) | Q(status__in=[Cluster.Status.DISMISSED, Cluster.Status.MERGED])
    ).values_list("id", flat=True))


def locked_cluster_ids() -> set[int]:
    """Frozen clusters plus those whose article an editor has worked on (kept whole by full re-runs)."""
    locked = frozen_cluster_ids()
    worked = Article.objects.filter(cluster__isnull=False).filter(
        ~Q(status=Article.Status.DRAFT) | Q(versions__author__isnull=False)
    ).values_list("cluster_id", flat=True)
    return locked | set(worked)


def _memberships() -> dict[int, tuple[int, bool]]:
    return {t: (c, p) for t, c, p in ClusterMember.objects.values_list("thread_id", "cluster_id", "pinned")}


def clusters_refresh(cluster_ids: Iterable[int], *, vectors: dict[int, np.ndarray]) -> None:
    """Recompute size, sources, centroid, label and member similarities.

    Precondition: ``vectors`` holds a unit vector for every member thread
    (members without one count in size but not in the centroid).
    """
    for chunk in chunks(sorted(set(cluster_ids)), 500):
        members = defaultdict(list)
        rows = ClusterMember.objects.filter(cluster_id__in=chunk).select_related("thread")
        for m in rows:
            members[m.cluster_id].append(m)
        updates, member_updates = [], []
        for cluster in Cluster.objects.filter(pk__in=chunk):
            ms = members.get(cluster.pk, [])
            cluster.size = len(ms)
            cluster.sources = len({m.thread.source_id for m in ms})
            with_vec = [m for m in ms if m.thread_id in vectors]
            if with_vec:
                mat = np.vstack([vectors[m.thread_id] for m in with_vec])
                centre = mat.mean(axis=0)
                centre /= np.linalg.norm(centre) or 1.0
                sims = mat @ centre
                for m, s in zip(with_vec, sims):
                    m.similarity = float(s)
                    member_updates.append(m)
                cluster.centroid = np.ascontiguousarray(centre, dtype="<f4").tobytes()
                if not hasattr(cluster, "article"):
                    cluster.label = with_vec[int(np.argmax(sims))].thread.title[:500]
            updates.append(cluster)
        Cluster.objects.bulk_update(updates, ["size", "sources", "centroid", "label"])
        ClusterMember.objects.bulk_update(member_updates, ["similarity"], batch_size=1000)


def _create_clusters(groups: list[list[int]]) -> list[int]:
    created = []
    for members in groups:
        cluster = Cluster.objects.create(status=Cluster.Status.CANDIDATE)
        ClusterMember.objects.bulk_create([ClusterMember(cluster=cluster, thread_id=t) for t in members])
        created.append(cluster.pk)
    return created


def _drop_empty(cluster_ids: Iterable[int], locked: set[int]) -> int:
    """Delete non-locked clusters left without members, with their untouched drafts."""
    removed = 0
    for cluster in Cluster.objects.filter(pk__in=list(cluster_ids), members__isnull=True).exclude(pk__in=locked):
        article = Article.objects.filter(cluster=cluster).first()
        if article is not None:
            if not _untouched_draft(article):
                continue
            article.delete()
        cluster.delete()
        removed += 1
    return removed


def _deleted(cluster_ids: set[int]) -> set[int]:
    return cluster_ids - set(Cluster.objects.filter(pk__in=cluster_ids).values_list("id", flat=True))


def _draft(cluster_ids: Iterable[int], *, frozen: set[int], min_size: int, report: ClusterReport) -> None:
    for cluster in Cluster.objects.filter(pk__in=list(cluster_ids), size__gte=min_size).exclude(pk__in=frozen):
        article_draft_from_cluster(cluster=cluster)
        report.drafted += 1


def _finish(report: ClusterReport, *, touched: set[int], vectors, frozen, min_size, draft, progress) -> ClusterReport:
    clusters_refresh(touched, vectors=vectors)
    if progress:
        progress("refresh", len(touched), len(touched))
    if draft:
        _draft(touched, frozen=frozen, min_size=min_size, report=report)
    clusters_demand_update()
    live = Cluster.objects.filter(size__gt=0).exclude(status=Cluster.Status.MERGED)
    report.clusters = live.count()
    report.candidates = live.filter(article__isnull=True).exclude(status=Cluster.Status.DISMISSED).count()
    report.touched = sorted(touched)
    return report


def clusters_rebuild(
    *, threshold: float | None = None, min_size: int | None = None, embedder: Embedder | None = None,
    progress: Progress | None = None, draft: bool = True, lock_held: bool = False,
) -> ClusterReport:
    """Full run: cluster every visible thread again, keeping cluster ids and editor decisions.

    Waits for the clustering lock unless ``lock_held`` (the caller holds it already,
    as ``kb.services.cluster_queue`` does).

    Members of locked clusters (see ``locked_cluster_ids``) and pinned members
    are left out of the clustering and stay where they are. Every other group
    continues the old cluster it overlaps most (Jaccard ≥ 0.5) or becomes a new
    candidate; old clusters left empty are deleted with their untouched drafts.
    """
    threshold = settings.KB_CLUSTER_THRESHOLD if threshold is None else threshold
    min_size = settings.KB_CLUSTER_MIN_SIZE if min_size is None else min_size
    embedder = _embedder(embedder)
    with _clustering_lock(held=lock_held):
        ids, matrix, embedded = question_vectors(embedder=embedder, progress=progress)
        report = ClusterReport(threads=len(ids), embedded=embedded)
        vectors = {pk: matrix[i] for i, pk in enumerate(ids)}
        with transaction.atomic():
            locked, frozen = locked_cluster_ids(), frozen_cluster_ids()
            current = _memberships()
            keep = {t for t, (c, pinned) in current.items() if pinned or c in locked}
            rows = [i for i, pk in enumerate(ids) if pk not in keep]
            old: dict[int, set[int]] = defaultdict(set)
            for t, (c, pinned) in current.items():
                if c not in locked and not pinned:
                    old[c].add(t)
            if progress:
                progress("cluster", 0, 1)
            groups = recluster(
                ids=[ids[i] for i in rows], vectors=matrix[rows] if rows else matrix[:0], old=old,
                frozen=locked, threshold=threshold, min_size=min_size,
            )
            if progress:
                progress("cluster", 1, 1)
            target = {t: cid for cid, members in groups if cid is not None for t in members}
            leaving = [t for t, (c, pinned) in current.items()
                       if c not in locked and not pinned and target.get(t) != c]
            for chunk in chunks(leaving, 1000):
                ClusterMember.objects.filter(thread_id__in=chunk).delete()
            touched = {current[t][0] for t in leaving}
            for cid, members in groups:
                if cid is None:
                    continue
                joining = [t for t in members if current.get(t, (None,))[0] != cid]
                ClusterMember.objects.bulk_create([ClusterMember(cluster_id=cid, thread_id=t) for t in joining])
                if joining:
                    touched.add(cid)
            created = _create_clusters([members for cid, members in groups if cid is None])
            report.created = len(created)
            touched |= set(created)
            report.removed = _drop_empty(touched, locked)
            touched -= _deleted(touched)
            return _finish(report, touched=touched, vectors=vectors, frozen=frozen, min_size=min_size,
                           draft=draft, progress=progress)


def clusters_update(
    *, thread_ids: Iterable[int] | None = None, threshold: float | None = None, min_size: int | None = None,
    join_threshold: float | None = None, embedder: Embedder | None = None, progress: Progress | None = None,
    draft: bool = True, lock_held: bool = False,
) -> ClusterReport:
    """Incremental run for new or changed threads (all unclustered visible threads when None).

    Waits for the clustering lock unless ``lock_held`` (the caller holds it already).

    A thread already in a cluster stays there unless it is no longer visible
    (then it leaves, unless the cluster is frozen or the member pinned). A new
    thread joins the cluster whose centroid it is closest to when the cosine is
    ≥ ``join_threshold``; if that cluster is frozen it is only counted as
    ``held``. The rest are clustered together with earlier leftovers into new
    candidates.
    """
    threshold = settings.KB_CLUSTER_THRESHOLD if threshold is None else threshold
    min_size = settings.KB_CLUSTER_MIN_SIZE if min_size is None else min_size
    join_threshold = settings.KB_JOIN_THRESHOLD if join_threshold is None else join_threshold
    embedder = _embedder(embedder)
    with _clustering_lock(held=lock_held):
        ids, matrix, embedded = question_vectors(embedder=embedder, progress=progress)
        report = ClusterReport(threads=len(ids), embedded=embedded)
        vectors = {pk: matrix[i] for i, pk in enumerate(ids)}
        with transaction.atomic():
            frozen = frozen_cluster_ids()
            current = _memberships()
            asked = set(vectors) if thread_ids is None else {int(t) for t in thread_ids}
            gone = [t for t in asked if t not in vectors and t in current
                    and current[t][0] not in frozen and not current[t][1]]
            ClusterMember.objects.filter(thread_id__in=gone).delete()
            touched = {current[t][0] for t in gone}
            unplaced = [pk for pk in ids if pk not in current]
            new = [pk for pk in unplaced if pk in asked]
            leftovers = [pk for pk in unplaced if pk not in asked]
            existing = {
                c.pk: np.frombuffer(bytes(c.centroid), dtype="<f4")
                for c in Cluster.objects.filter(size__gt=0, centroid__isnull=False).exclude(
                    status=Cluster.Status.MERGED).only("id", "centroid")
            }
            if not new:  # leftovers alone were clustered by earlier runs already
                report.removed = _drop_empty(touched, frozen)
                return _finish(report, touched=touched - _deleted(touched), vectors=vectors, frozen=frozen,
                               min_size=min_size, draft=draft, progress=progress)
            result = assign_incremental(
                existing=existing, new_ids=new, new_vectors=np.vstack([vectors[t] for t in new]),
                frozen=frozen, join_threshold=join_threshold,
                leftover_ids=leftovers,
                leftover_vectors=np.vstack([vectors[t] for t in leftovers]) if leftovers else None,
                threshold=threshold, min_size=min_size,
            )
            ClusterMember.objects.bulk_create(
                [ClusterMember(cluster_id=cid, thread_id=t) for t, cid in result.joined.items()])
            report.joined, report.held = len(result.joined), len(result.held)
            touched |= set(result.joined.values())
            created = _create_clusters(result.new_clusters)
            report.created = len(created)
            touched |= set(created)
            report.removed = _drop_empty(touched, frozen)
            return _finish(report, touched=touched - _deleted(touched), vectors=vectors, frozen=frozen,
                           min_size=min_size, draft=draft, progress=progress)


# --- demand ------------------------------------------------------------------------------


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


__all__ = [
    "CLUSTERING_LOCK", "ClusterReport", "cluster_demand", "cluster_demand_refresh", "clustering_lock",
    "clusters_demand_update", "clusters_rebuild", "clusters_refresh", "clusters_update", "frozen_cluster_ids",
    "locked_cluster_ids",
]
