"""Clustering in the background: after every harvest, and on demand.

The task takes thread ids (an incremental run) or none (a full re-run) and hands
them to ``kb.services.cluster_queue``: a run in progress never makes another wait
(the request joins the one pending run and the task returns at once). It retries on
transient database errors (a locked SQLite file, a restarting database); the model
and FAISS work are deterministic, so a retry redoes the same run. Both tasks go to
their own queue (``KB_CLUSTERING_QUEUE``, see ``CELERY_TASK_ROUTES``), so a long run
never holds the slots indexing needs.
"""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from kb.services.cluster_queue import clusters_request


def _summary(reports, pending: bool) -> dict:
    summary = {"runs": len(reports), "pending": pending}
    for report in reports[-1:]:
        summary.update({"threads": report.threads, "embedded": report.embedded, "clusters": report.clusters,
                        "candidates": report.candidates, "created": report.created, "drafted": report.drafted,
                        "joined": report.joined, "held": report.held, "removed": report.removed})
    return summary


@shared_task(bind=True, max_retries=5, default_retry_delay=15, acks_late=True)
def cluster_threads(self, thread_ids: list[int] | None = None) -> dict:
    """Place ``thread_ids`` into clusters (incremental), or re-cluster everything when None."""
    try:
        return _summary(*clusters_request(thread_ids=thread_ids))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def cluster_pending(self) -> dict:
    """Periodic: run the pending request a killed run (or a lost task) left behind, if any."""
    try:
        return _summary(*clusters_request(thread_ids=[]))
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc
