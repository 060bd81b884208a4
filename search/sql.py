"""Small SQL helpers for the queries a search runs on every call (written in SQL, not the ORM)."""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def id_in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """``column`` is one of ``ids``, as SQL and its parameters.

    On PostgreSQL one array parameter (``= ANY(%s)``): psycopg sends one value
    however many ids there are, where a list of placeholders is quoted one by
    one and parsed by the server (measured at 100k documents: 90 ids by primary
    key 1.0 ms instead of 1.6). Elsewhere a list of placeholders. Precondition:
    ``ids`` is not empty (``IN ()`` is not SQL).
    """
    ids = [int(pk) for pk in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids
