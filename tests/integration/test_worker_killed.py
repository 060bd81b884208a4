"""A Celery worker killed with SIGKILL in the middle of a harvest: the broker hands the task
to a new worker, which resumes the run from its checkpoint. Nothing is stored twice, nothing
is lost, and every harvested thread ends up indexed for search.

The worker here is one of our own, not the session's: it is killed, and it gets a short
visibility timeout (Redis hands an unacknowledged task to another worker once it is older
than that; one hour in production). Its broker keys carry a prefix of their own, so its short
timeout never hands back another test run's tasks on the same Redis database.
Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import signal
import uuid

import pytest
from django.db import connection
from django.db.models import Count, F

from community.models import Post, Thread
from config.celery import app
from harvest.models import HarvestRun
from harvest.services import source_create
from harvest.tasks import harvest_source
from search.models import Document
from tests.harvest.test_resume_after_kill import ANSWERS_EACH, write_big_dump
from tests.integration.conftest import REPO, _database_url, wait_for, worker_start, worker_wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUESTIONS = 240
VISIBILITY_TIMEOUT = 3  # seconds; the resumed task and its indexing take longer, but a solo worker acks first


@pytest.fixture
def broker():
    """Our own queue and key prefix on the test broker; skips without one."""
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("integration tests need a broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    name = f"gleaner-killed-{uuid.uuid4().hex[:12]}"
    options = {"global_keyprefix": f"{name}:", "visibility_timeout": VISIBILITY_TIMEOUT,
               "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    conn = app.connection_for_write(transport_options={**app.conf.broker_transport_options, **options})
    try:
        conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"broker not reachable: {exc}")
    with conn:
        yield name, options, conn


def test_worker_killed_mid_harvest_hands_the_task_on_and_the_run_resumes(broker, tmp_path, search_index_dir):
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(("file:", ":memory:")):
        pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
    name, options, conn = broker
    total = write_big_dump(tmp_path / "dump", questions=QUESTIONS)
    source = source_create(name="Big Hearthlink dump", kind="stackexchange", path=str(tmp_path / "dump"))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": name,
        "KB_CLUSTERING_QUEUE": f"{name}-clustering",
        "KB_AUTO_CLUSTER": "false",
        "SEARCH_AUTO_INDEX": "true",
        "SEARCH_INDEX_DIR": str(search_index_dir),
        "GLEANER_DATA_DIR": str(tmp_path / "data"),
        # Small batches: many checkpoints, and a run long enough to be killed in the middle.
        "HARVEST_BATCH_SIZE": "10",
    }
    workers = []

    def start():
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        worker = worker_start(queues=[name], name=name, env=env, log=log, transport_options=options)
        workers.append(worker)
        worker_wait_ready(worker, log=log, name=name)
        return worker

    try:
        first = start()
        harvest_source.apply_async((source.pk,), queue=name, connection=conn)
        run = wait_for(lambda: HarvestRun.objects.filter(source=source, new_count__gt=0).first(), timeout=60,
                       interval=0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)

        killed = HarvestRun.objects.get(pk=run.pk)
        assert killed.status == HarvestRun.Status.RUNNING, "the run ended before the kill: use a bigger dump"
        assert 0 < killed.new_count < total

        start()
        resumed = wait_for(lambda: HarvestRun.objects.filter(source=source, resumed_from=killed)
                           .exclude(status=HarvestRun.Status.RUNNING).first(), timeout=90)
        killed.refresh_from_db()
        assert killed.status == HarvestRun.Status.INTERRUPTED
        assert resumed.status == HarvestRun.Status.SUCCEEDED, resumed.message
        assert killed.new_count + resumed.new_count == total

        posts = Post.objects.filter(thread__source=source)
        assert posts.count() == total
        assert not posts.values("external_id").annotate(n=Count("id")).filter(n__gt=1).exists()
        assert set(posts.values_list("external_id", flat=True)) == {str(n) for n in range(1, total + 1)}
        threads = Thread.objects.filter(source=source)
        assert threads.count() == QUESTIONS
        assert not threads.filter(is_deleted=True).exists()
        assert posts.filter(is_question=False).count() == QUESTIONS * ANSWERS_EACH

        # The resumed run queues its own threads for indexing; those the killed run stored keep
        # their dirty flag for the periodic sweep, sent here as beat sends it.
        app.send_task("search.tasks.index_dirty", queue=name, connection=conn)
        thread_ids = set(threads.values_list("id", flat=True))

        def all_indexed():
            indexed = Document.objects.filter(kind=Document.Kind.THREAD, object_id__in=thread_ids,
                                              indexed_hash=F("content_hash"))
            return not threads.filter(search_dirty=True).exists() and indexed.count() == len(thread_ids)

        wait_for(all_indexed, timeout=180, interval=0.5)
        assert HarvestRun.objects.filter(source=source).count() == 2
    finally:
        for log in sorted(tmp_path.glob("worker-*.log")):  # shown by pytest when the test fails
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except Exception:  # noqa: BLE001
                    worker.kill()
