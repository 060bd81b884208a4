"""Signal receivers: changed threads are queued for indexing once their transaction commits.

Queueing never fails the change that triggered it: if the broker is down (or an
eager run fails), the threads keep their dirty flag and the periodic sweep
(``search.tasks.index_dirty``) indexes them later.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def _enqueue(thread_ids) -> None:
    ids = sorted({int(pk) for pk in thread_ids or ()})
    if not ids or not settings.SEARCH_AUTO_INDEX:
        return

    def send() -> None:
        from search.tasks import index_threads

        try:
            index_threads.delay(ids)
        except Exception:  # noqa: BLE001 - see the module docstring
            logger.exception("could not queue indexing of %s threads; the dirty-flag sweep will retry", len(ids))

    transaction.on_commit(send)


def threads_changed_index(sender, thread_ids=None, **kwargs) -> None:
    _enqueue(thread_ids)


def harvest_finished_index(sender, run_id=None, thread_ids=None, **kwargs) -> None:
    _enqueue(thread_ids)
