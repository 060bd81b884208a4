"""A real Celery worker on the Redis broker, sharing the test database.

Runs only when ``CELERY_BROKER_URL`` is set and the broker answers; otherwise the
integration tests skip with a message saying so.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _database_url(settings_dict: dict) -> str:
    if "sqlite" in settings_dict["ENGINE"]:
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory, smtp_capture):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker:
        pytest.skip("integration tests need a broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    from django.db import connection

    from config.celery import app

    try:
        app.connection_for_write().ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"broker {broker} not reachable: {exc}")
    # A queue and worker name of our own: other test runs on the same broker never take our tasks.
    queue = f"gleaner-test-{uuid.uuid4().hex[:12]}"
    clustering = f"{queue}-clustering"  # clustering is routed to a queue of its own, as in production
    routes = app.conf.task_routes
    app.conf.task_default_queue = queue
    app.conf.task_routes = {name: {"queue": clustering} for name in routes or {}}
    app.amqp.flush_routes()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "KB_CLUSTERING_QUEUE": clustering,
        "GLEANER_DATA_DIR": str(Path(os.environ.get("GLEANER_DATA_DIR", REPO / "var"))),
        # The worker's mail goes to the session's loopback SMTP server (tests read it with ``smtp_server``).
        "EMAIL_URL": smtp_capture.url,
        "EMAIL_HOST": "",
    }
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = worker_start(queues=[queue, clustering], name=queue, env=env, log=log)
    try:
        worker_wait_ready(worker, log=log, name=queue)
        yield worker
    finally:
        app.conf.task_default_queue = "celery"
        app.conf.task_routes = routes
        app.amqp.flush_routes()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


# Runs a worker with broker transport options of the caller's (``argv[1]``, JSON) on top of the
# settings' ones: a test may give its worker a short visibility timeout without changing the product.
WORKER = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.celery import app
app.conf.broker_transport_options = {**app.conf.broker_transport_options, **json.loads(sys.argv[1])}
app.worker_main(["worker", *sys.argv[2:]])
"""


def worker_start(*, queues: list[str], name: str, env: dict, log: Path,
                 transport_options: dict | None = None, pool: str = "solo") -> subprocess.Popen:
    """Start a worker with one slot consuming ``queues``; its output goes to ``log``.

    A solo worker runs tasks in its own process, so ``kill -9`` of the returned process is
    a worker killed mid-task. A ``prefork`` one runs them in a child process, as in production.
    """
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(transport_options or {}),
             f"--pool={pool}", "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-l", "info", "-Q", ",".join(queues), "-n", f"{name}@%h"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )


def worker_wait_ready(worker: subprocess.Popen, *, log: Path, name: str, timeout: float = 60.0) -> None:
    """Wait until the worker says it is ready (consuming) in ``log``, a file of its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"celery worker exited with {worker.returncode}:\n{log.read_text()[-3000:]}")
        if f"{name}@" in (text := log.read_text()) and " ready." in text:
            return
        time.sleep(0.1)
    pytest.fail(f"celery worker did not say it was ready within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
