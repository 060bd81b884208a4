"""Queue a Celery task once the current transaction commits, never failing the change that asked for it."""
from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def delay_on_commit(task, *args, what: str) -> None:
    """``task.delay(*args)`` after the transaction commits (at once outside one).

    The task reads rows the transaction writes, so it must not start before they are
    visible. A broker outage (or a failing eager run) is logged with ``what`` and
    swallowed: callers keep a way to catch up (a dirty flag swept periodically, a
    management command).
    """

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - see the docstring
            logger.exception("could not queue %s", what)

    transaction.on_commit(send)
