"""Topics: the coarse level above problem clusters, for browsing, gaps and demand.

A problem cluster holds questions one article answers; a topic holds problem
clusters about the same subject ("guest Wi-Fi", "Beacon placement"). Topics are
the kNN + Leiden communities (``kb.engine.clustering.communities``) of the
clusters' centroids at ``KB_TOPIC_THRESHOLD``: chaining loosely related
questions is what a topic may do and a problem cluster must not. A cluster
nothing else is close to is a topic of its own. Topics hold no editorial
decision, so every clustering run recomputes them; a topic keeps its id when
it continues an old one (``match_clusters``, Jaccard ≥ 0.5 over its clusters).
"""
from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction

from kb.engine.clustering.communities import cluster
from kb.engine.clustering.matching import match_clusters
from kb.models import Cluster, Topic

LIVE = (Cluster.Status.CANDIDATE, Cluster.Status.DRAFTED)


def _groups(clusters: list[Cluster], threshold: float) -> list[list[Cluster]]:
    with_vec = [c for c in clusters if c.centroid]
    grouped: list[list[Cluster]] = []
    if len(with_vec) > 1:
        matrix = np.vstack([np.frombuffer(bytes(c.centroid), dtype="<f4") for c in with_vec]).astype(np.float32)
        grouped = [[with_vec[i] for i in g] for g in cluster(matrix, threshold=threshold, min_size=2)]
    placed = {c.pk for g in grouped for c in g}
    return grouped + [[c] for c in clusters if c.pk not in placed]


@transaction.atomic
def topics_rebuild(*, threshold: float | None = None) -> int:
    """Group every live problem cluster (candidate or drafted, with members) into topics; returns how many.

    Label: the label of its cluster in most demand. Topics left without clusters are deleted.
    """
    threshold = settings.KB_TOPIC_THRESHOLD if threshold is None else threshold
    clusters = list(Cluster.objects.filter(size__gt=0, status__in=LIVE).order_by("pk")
                    .only("id", "centroid", "label", "size", "demand", "topic_id"))
    groups = _groups(clusters, threshold)
    old: dict[int, set[int]] = {}
    for c in clusters:
        if c.topic_id is not None:
            old.setdefault(c.topic_id, set()).add(c.pk)
    mapping = match_clusters(old, [{c.pk for c in g} for g in groups])
    kept = set()
    for i, group in enumerate(groups):
        top = max(group, key=lambda c: (c.demand, c.size, -c.pk))
        fields = {"label": top.label[:500], "clusters_count": len(group), "threads": sum(c.size for c in group),
                  "demand": float(sum(c.demand for c in group))}
        if mapping[i] is not None:
            Topic.objects.filter(pk=mapping[i]).update(**fields)
            topic_id = mapping[i]
        else:
            topic_id = Topic.objects.create(**fields).pk
        kept.add(topic_id)
        Cluster.objects.filter(pk__in=[c.pk for c in group]).exclude(topic_id=topic_id).update(topic_id=topic_id)
    Cluster.objects.exclude(status__in=LIVE).exclude(topic__isnull=True).update(topic=None)
    Topic.objects.exclude(pk__in=kept).delete()
    return len(kept)
