"""A Celery worker killed with SIGKILL in the middle of a harvest: the broker hands the task
to a new worker, which resumes the run from its checkpoint. Nothing is stored twice, nothing
is lost, and every harvested thread ends up indexed for search (no beat runs here).

The worker here is one of our own, not the session's: it is killed, and it gets a short
visibility timeout (Redis hands an unacknowledged task to another worker once it is older
than that; one hour in production). Its broker keys carry a prefix of their own, so its short
timeout never hands back another test run's tasks on the same Redis database.
Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path

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
from tests.integration.conftest import _database_url, wait_for, worker_start, worker_wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUESTIONS = 240
# Seconds. The resumed task and its indexing take longer, but a solo worker acknowledges a
# task before its event loop looks for tasks to hand back.
VISIBILITY_TIMEOUT = 3


@pytest.fixture
def broker():
    """Our own queue and key prefix on the test broker, and a connection using them; skips without one."""
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("integration tests need a broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    name = f"gleaner-killed-{uuid.uuid4().hex[:12]}"
    options = {"global_keyprefix": f"{name}:", "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    conn = app.connection_for_write(transport_options={**app.conf.broker_transport_options, **options})
    try:
        conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"broker not reachable: {exc}")
    with conn:
        yield name, options, conn


class Harvest:
    """A big dump as a source, and workers of our own for it, stopped after the test."""

    def __init__(self, *, broker, tmp_path: Path, index_dir: Path) -> None:
        self.name, self.options, self.conn = broker
        self.tmp_path = tmp_path
        self.total = write_big_dump(tmp_path / "dump", questions=QUESTIONS)
        self.source = source_create(name="Big Hearthlink dump", kind="stackexchange", path=str(tmp_path / "dump"))
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(connection.settings_dict),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": self.name,
            "KB_CLUSTERING_QUEUE": f"{self.name}-clustering",
            "KB_AUTO_CLUSTER": "false",
            "SEARCH_AUTO_INDEX": "true",
            "SEARCH_INDEX_DIR": str(index_dir),
            "GLEANER_DATA_DIR": str(tmp_path / "data"),
            # Small batches: many checkpoints, and a run long enough to be killed in the middle.
            "HARVEST_BATCH_SIZE": "10",
        }
        self.workers: list[subprocess.Popen] = []

    def start_worker(self, *, pool: str = "solo", visibility_timeout: float = VISIBILITY_TIMEOUT) -> subprocess.Popen:
        log = self.tmp_path / f"worker-{len(self.workers) + 1}.log"
        worker = worker_start(queues=[self.name], name=self.name, env=self.env, log=log, pool=pool,
                              transport_options={**self.options, "visibility_timeout": visibility_timeout})
        self.workers.append(worker)
        worker_wait_ready(worker, log=log, name=self.name)
        return worker

    def start_run(self) -> HarvestRun:
        """Queue the harvest and return its run once it has stored a first batch."""
        harvest_source.apply_async((self.source.pk,), queue=self.name, connection=self.conn)
        return wait_for(lambda: HarvestRun.objects.filter(source=self.source, new_count__gt=0).first(),
                        timeout=60, interval=0.02)

    def assert_resumed_completely(self, killed: HarvestRun) -> None:
        """The killed run is taken over, and the source ends with every post once, all indexed."""
        source, total = self.source, self.total
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

        # No beat here: the resumed run queues the killed run's threads for indexing with its own.
        thread_ids = set(threads.values_list("id", flat=True))

        def all_indexed():
            indexed = Document.objects.filter(kind=Document.Kind.THREAD, object_id__in=thread_ids,
                                              indexed_hash=F("content_hash"))
            return not threads.filter(search_dirty=True).exists() and indexed.count() == len(thread_ids)

        wait_for(all_indexed, timeout=180, interval=0.5)
        assert HarvestRun.objects.filter(source=source).count() == 2

    def stop(self) -> None:
        for log in sorted(self.tmp_path.glob("worker-*.log")):  # shown by pytest when the test fails
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()


@pytest.fixture
def harvest(broker, tmp_path, search_index_dir):
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(("file:", ":memory:")):
        pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
    harvest = Harvest(broker=broker, tmp_path=tmp_path, index_dir=search_index_dir)
    yield harvest
    harvest.stop()


def test_worker_killed_mid_harvest_hands_the_task_on_and_the_run_resumes(harvest):
    first = harvest.start_worker()
    run = harvest.start_run()
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    killed = HarvestRun.objects.get(pk=run.pk)
    assert killed.status == HarvestRun.Status.RUNNING, "the run ended before the kill: use a bigger dump"
    assert 0 < killed.new_count < harvest.total

    harvest.start_worker()
    harvest.assert_resumed_completely(killed)


def test_worker_process_killed_mid_harvest_gives_the_task_back_at_once(harvest):
    """The out-of-memory killer takes the process running the task, not the worker that
    supervises it. The worker gives the task back to the broker (instead of acknowledging
    it as failed), and runs it again in a new process, which resumes the run."""
    # The broker's visibility timeout (an hour) is not what brings the task back here.
    harvest.start_worker(pool="prefork", visibility_timeout=3600)
    run = harvest.start_run()
    assert 0 < run.new_count < harvest.total
    host, _, pid = run.worker.rpartition(":")
    assert host == socket.gethostname()
    os.kill(int(pid), signal.SIGKILL)

    harvest.assert_resumed_completely(run)
