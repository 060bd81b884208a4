"""A real Celery worker on the Redis broker, sharing the test database.

Runs only when ``CELERY_BROKER_URL`` is set and the broker answers; otherwise the
integration tests skip with a message saying so.
"""
from __future__ import annotations

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
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
             "-Q", f"{queue},{clustering}",
             "-n", f"{queue}@%h"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                pytest.fail(f"celery worker exited with {worker.returncode}:\n{log.read_text()[-3000:]}")
            if any(queue in name for reply in app.control.ping(timeout=1.0) for name in reply):
                break
        else:
            pytest.fail(f"celery worker did not answer within 60 s:\n{log.read_text()[-3000:]}")
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


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
