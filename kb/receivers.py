"""Signal receivers: what the knowledge base does when threads change or a harvest ends.

Connected in ``kb.apps``. Changed source threads may put published articles up for
review (``kb.services.freshness``); a harvest queues clustering of its new threads,
once its writes are committed, unless the caller clusters later (``auto_cluster``).
"""
from __future__ import annotations

from django.conf import settings

from core.queueing import delay_on_commit
from kb.services.freshness import articles_check_sources
from kb.tasks import cluster_threads


def threads_changed_freshness(sender, thread_ids=None, **kwargs) -> None:
    if thread_ids:
        articles_check_sources(thread_ids=thread_ids)


def harvest_finished_freshness(sender, run_id=None, thread_ids=None, **kwargs) -> None:
    if thread_ids:
        articles_check_sources(thread_ids=thread_ids)


def harvest_finished_cluster(sender, run_id=None, thread_ids=None, auto_cluster=True, **kwargs) -> None:
    """Queue an incremental clustering run for the harvested threads.

    A broker outage must not fail the harvest: ``manage.py cluster`` catches up.
    """
    ids = sorted({int(pk) for pk in thread_ids or ()})
    if not ids or not auto_cluster or not settings.KB_AUTO_CLUSTER:
        return
    delay_on_commit(cluster_threads, ids, what=f"clustering of {len(ids)} harvested threads")
