"""The search query log (``SearchQueryLog``), written once the answer has gone out.

Inside a request the row waits in a per-thread list (``query_log_hold``, on
``request_started``), and on ``request_finished`` the request's rows are inserted
in one statement (``query_log_flush``; the receivers are in ``search.receivers``).
WSGI servers close the response (which sends ``request_finished``) only after
writing it, so the
INSERT and its commit no longer sit between the query and the answer, and a
write that waits for SQLite's lock (or PostgreSQL's commit flush) delays no
one. Nothing is batched across requests and nothing waits for another process:
the row is written by the same worker before it takes the next request, in the
embedded mode as with a broker. Outside a request (tasks, the shell, tests
calling the selector) rows are written at once.
"""
from __future__ import annotations

import contextlib
import logging
import threading

from django.db import connection, transaction

from search.models import SearchQueryLog

logger = logging.getLogger(__name__)

_pending = threading.local()


def query_log_record(**row) -> None:
    """Log one search (``SearchQueryLog`` field values); never raises into the search."""
    rows = getattr(_pending, "rows", None)
    if rows is None:
        _write([row])
    else:
        rows.append(row)


def query_log_hold() -> None:
    """Hold this thread's rows until ``query_log_flush`` (a request has started)."""
    _pending.rows = []


def query_log_flush() -> None:
    """Write the rows held since ``query_log_hold`` (the response has gone out)."""
    rows, _pending.rows = getattr(_pending, "rows", None), None
    if rows:
        # Django's own receiver may have closed the connection just before (CONN_MAX_AGE 0):
        # this reopens one, which the next request's start closes as usual.
        _write(rows)


def _write(rows: list[dict]) -> None:
    try:
        # Inside a caller's transaction a savepoint, so a failed insert cannot poison it; outside
        # one a single INSERT is atomic already (and an explicit transaction would take
        # SQLite's write lock earlier than needed).
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            SearchQueryLog.objects.bulk_create([SearchQueryLog(**row) for row in rows])
    except Exception:  # noqa: BLE001 - losing a log row must not lose the answer
        logger.exception("could not log %s search quer%s", len(rows), "y" if len(rows) == 1 else "ies")
