"""While a clustering run holds the lock, clustering requests on the worker return at once and
coalesce into one pending run; the worker stays free for indexing; the periodic task runs the
pending request once the lock is free."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from community.models import Thread
from community.services import question_create
from kb.models import ClusterMember
from kb.services.cluster_queue import clustering_pending
from kb.services.clustering import clustering_lock
from kb.tasks import cluster_pending, cluster_threads
from search.models import Document
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Before any worker starts (it inherits os.environ): the worker and this test share lock files.
os.environ.setdefault("SEARCH_INDEX_DIR", tempfile.mkdtemp(prefix="gleaner-test-index-"))

# Two questions asked twice in nearly the same words, so that each pair forms a problem cluster.
QUESTIONS = [
    ("Beacon drops off the mesh every night", "Around 2 am the Beacon light turns amber and it goes offline."),
    ("My Beacon drops off the mesh every night", "At about 2 am the Beacon light turns amber and it goes offline."),
    ("Guest network password changes by itself", "Visitors say the guest key differs every week."),
    ("The guest network password changes by itself", "My visitors say the guest key differs each week."),
]


@pytest.fixture
def shared_dir(settings):
    settings.SEARCH_INDEX_DIR = Path(os.environ["SEARCH_INDEX_DIR"])
    for name in ("clustering-pending.json", "clustering-running.json"):
        (settings.SEARCH_INDEX_DIR / name).unlink(missing_ok=True)
    return settings.SEARCH_INDEX_DIR


def test_requests_during_a_run_coalesce_and_leave_the_worker_free(celery_worker, shared_dir, alice, tags):
    threads = sorted(question_create(author=alice, title=t, body=b, tags=["mesh"]).pk for t, b in QUESTIONS)
    wait_for(lambda: Document.objects.filter(object_id__in=threads).exclude(indexed_hash="").count() == 4,
             timeout=180)  # the worker has loaded the model and indexed them

    with clustering_lock() as held:  # a long clustering run in progress
        assert held
        cluster_threads.delay(threads[:2])
        cluster_threads.delay(threads[2:])
        pending = wait_for(lambda: (p := clustering_pending()) and len(p["ids"]) == 4 and p, timeout=15)
        assert pending == {"rebuild": False, "ids": threads}
        # The worker's only slot is free: a question asked now is indexed while the run goes on.
        late = question_create(author=alice, title="Port forwarding ignored by the H1 router",
                               body="Friends cannot reach my game server on TCP 25565.", tags=["mesh"])
        wait_for(lambda: Document.objects.filter(object_id=late.pk).exclude(indexed_hash="").exists(), timeout=30)
        assert not ClusterMember.objects.exists()

    cluster_pending.delay()  # what beat sends every five minutes
    wait_for(lambda: clustering_pending() is None and ClusterMember.objects.filter(thread_id__in=threads).exists(),
             timeout=120)
    assert Thread.objects.filter(pk__in=threads).count() == 4
