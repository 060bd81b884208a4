"""Queue a Celery task once the current transaction commits, never failing the change that asked for it.

A task is given as the task itself or by its name (``app.tasks.function``): a
service that queues work names the task, so it never imports the ``tasks``
module that calls it back (a task only loads and calls services), and services
and tasks import in one direction only.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

from django.db import transaction

from config.celery import app

logger = logging.getLogger(__name__)


def _task(task):
    """``task`` itself, or the task named so (its module imported on first use)."""
    if not isinstance(task, str):
        return task
    if task not in app.tasks:
        try:
            importlib.import_module(task.rpartition(".")[0])
        except ImportError:
            pass
    try:
        return app.tasks[task]
    except KeyError:
        raise LookupError(f"no Celery task named {task!r}") from None


def _send(task, args: tuple, what: str) -> None:
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - see delay_on_commit
        logger.exception("could not queue %s", what)


def delay_on_commit(task, *args, what: str) -> None:
    """``task.delay(*args)`` after the transaction commits (at once outside one).

    The task reads rows the transaction writes, so it must not start before they are
    visible. A broker outage (or a failing eager run) is logged with ``what`` and
    swallowed: callers keep a way to catch up (a dirty flag swept periodically, a
    management command). Publishing gives up within about a second
    (``CELERY_BROKER_CONNECTION_TIMEOUT``, ``CELERY_TASK_PUBLISH_RETRY_POLICY``) and no
    result backend is contacted, so a request never waits long on a broker that is down. A task name that names no task raises ``LookupError`` at once.
    """
    task = _task(task)
    transaction.on_commit(lambda: _send(task, args, what))


def delay_ids_on_commit(task, ids: Iterable[int], *, what: str) -> None:
    """``task.delay(sorted ids)`` after commit, once per transaction however many calls add ids.

    An import that writes 500 rows in one transaction then queues one task for all
    of them, instead of 500.
    """
    task = _task(task)
    for _, callback, _ in transaction.get_connection().run_on_commit:
        pending = getattr(callback, "queued_ids", None)
        if pending is not None and pending[0] is task:
            pending[1].update(ids)
            return
    collected = set(ids)

    def send() -> None:
        send.queued_ids = None  # sent: ids added later need a callback of their own
        _send(task, (sorted(collected),), what)

    send.queued_ids = (task, collected)
    transaction.on_commit(send)
