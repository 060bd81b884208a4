"""Clustering asked for while a run holds the lock returns at once and leaves one pending run,
which the next holder runs; the request of a run killed midway is not lost."""
from __future__ import annotations

import json
import threading
import time

import pytest

from community.models import Thread
from kb.models import ClusterMember
from kb.services.cluster_queue import RUNNING_FILE, clustering_pending, clusters_request
from kb.services.clustering import clustering_lock
from kb.tasks import cluster_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(demo_corpus) -> list[int]:
    return sorted(Thread.objects.filter(source=demo_corpus).values_list("id", flat=True))


def test_requests_during_a_run_return_at_once_and_coalesce_into_one_pending_run(threads, process_embedder):
    with clustering_lock() as held:
        assert held
        results = []
        # In a thread of its own: a request that waited for the lock would never return here.
        asking = threading.Thread(target=lambda: results.extend(
            cluster_threads.delay(ids).get() for ids in (threads[:10], threads[10:])), daemon=True)
        started = time.monotonic()
        asking.start()
        asking.join(timeout=10)
        elapsed = time.monotonic() - started

        assert not asking.is_alive() and elapsed < 2.0, "a clustering request waited for the run in progress"
        first, second = results
        assert first["pending"] and second["pending"] and first["runs"] == second["runs"] == 0
        assert clustering_pending() == {"rebuild": False, "ids": threads}
        assert not ClusterMember.objects.exists()

    reports, pending = clusters_request(thread_ids=[])  # what the periodic task does

    assert not pending and len(reports) == 1 and clustering_pending() is None
    assert ClusterMember.objects.filter(thread_id__in=threads).exists()


def test_a_full_rerun_request_absorbs_incremental_ones(threads):
    with clustering_lock():
        clusters_request(thread_ids=threads[:3])
        clusters_request(thread_ids=None)
        clusters_request(thread_ids=threads[3:5])
    assert clustering_pending() == {"rebuild": True, "ids": threads[:5]}


def test_the_request_of_a_run_killed_midway_is_run_by_the_next_holder(threads, settings, process_embedder):
    # What a worker killed during a run leaves behind: its request, taken but not finished.
    running = settings.SEARCH_INDEX_DIR / RUNNING_FILE
    running.parent.mkdir(parents=True, exist_ok=True)
    running.write_text(json.dumps({"rebuild": False, "ids": threads[:6]}), "utf-8")

    reports, pending = clusters_request(thread_ids=[])

    assert len(reports) == 1 and not pending and not running.exists()
    assert reports[0].threads >= 6 and ClusterMember.objects.filter(thread_id__in=threads[:6]).exists()
