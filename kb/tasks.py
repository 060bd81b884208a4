"""Clustering in the background: after every harvest, and on demand.

The task takes thread ids (an incremental run) or none (a full re-run), calls
the service and retries on transient database errors (a locked SQLite file, a
restarting database). The model and FAISS work are deterministic, so a retry
redoes the same run.
"""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from kb.services.clustering import clusters_rebuild, clusters_update


def _summary(report) -> dict:
    return {"threads": report.threads, "embedded": report.embedded, "clusters": report.clusters,
            "candidates": report.candidates, "created": report.created, "drafted": report.drafted,
            "joined": report.joined, "held": report.held, "removed": report.removed}


@shared_task(bind=True, max_retries=5, default_retry_delay=15, acks_late=True)
def cluster_threads(self, thread_ids: list[int] | None = None) -> dict:
    """Place ``thread_ids`` into clusters (incremental), or re-cluster everything when None."""
    try:
        if thread_ids is None:
            return _summary(clusters_rebuild())
        return _summary(clusters_update(thread_ids=thread_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc
