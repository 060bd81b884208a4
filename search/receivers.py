"""Signal receivers: changed threads are queued for indexing once their transaction commits, and a
request's query log rows are written once its response has gone out.

Queueing never fails the change that triggered it: if the broker is down (or an
eager run fails), the threads keep their dirty flag and the periodic sweep
(``search.tasks.index_dirty``) indexes them later.
"""
from __future__ import annotations

from django.conf import settings

from core.queueing import delay_on_commit
from search.services.query_log import query_log_flush, query_log_hold


def _enqueue(thread_ids) -> None:
    ids = sorted({int(pk) for pk in thread_ids or ()})
    if not ids or not settings.SEARCH_AUTO_INDEX:
        return
    delay_on_commit("search.tasks.index_threads", ids,
                    what=f"indexing of {len(ids)} threads; the dirty-flag sweep will retry")


def threads_changed_index(sender, thread_ids=None, **kwargs) -> None:
    _enqueue(thread_ids)


def harvest_finished_index(sender, run_id=None, thread_ids=None, **kwargs) -> None:
    _enqueue(thread_ids)


def request_started_query_log(sender, **kwargs) -> None:
    query_log_hold()


def request_finished_query_log(sender, **kwargs) -> None:
    query_log_flush()
