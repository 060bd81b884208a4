"""The harvest store's hot writes on PostgreSQL: ``COPY`` into a staging table, then one
``INSERT … SELECT … ON CONFLICT DO UPDATE`` per table.

Same stored result as ``harvest.store_orm.OrmWriter`` (a test harvests one dump both
ways and compares), at a fraction of the cost: the ORM spends most of a batch building
model instances and quoting a multi-row ``VALUES`` list, which ``COPY`` replaces by a
stream the driver formats in C. Lookups bind their keys as arrays with server-side
parameters instead of quoting long ``IN`` lists.

Statements go through the psycopg connection Django holds, inside Django's
transaction, so a batch is still all or nothing. Staging tables are temporary
(``ON COMMIT DELETE ROWS``), one set per database session.
"""
from __future__ import annotations

from collections.abc import Iterable

import psycopg
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from community.models import Comment, Post, PostRevision, Thread
from harvest.store_orm import (
    COMMENT_FIELDS, POST_FIELDS, REVISION_EDITOR, REVISION_REASON, THREAD_FIELDS, CommentRow, OrmWriter,
    PostRow, ThreadRow,
)

_THREAD_STAGE = "harvest_thread_stage"
_POST_STAGE = "harvest_post_stage"
_COMMENT_STAGE = "harvest_comment_stage"
_ANALYZE_AFTER = 250  # rows; below that a table is read whole in a blink whatever the plan
# Lookups probe a unique index once per key (``LATERAL … LIMIT 1``) rather than leave the
# join order to the planner: while a first harvest fills the tables, their statistics
# lag far behind and a planner trusting them scans every row of the source per batch.
_POST_BY_KEY = (f"SELECT * FROM {Post._meta.db_table} "
                "WHERE thread_id = k.thread_id AND external_id = k.external_id LIMIT 1")


def _column(model: type[Model], attname: str) -> tuple[str, str]:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return field.column, field.db_type(connection)


def _constant_columns(
    model: type[Model], staged: Iterable[str], given: dict[str, object],
) -> tuple[list[str], list[str], list]:
    """The columns a staged row does not carry: names, typed placeholders and values.

    Values are ``given``, else what the ORM would write (the field's default, "" for a
    text field without one, else NULL), so a field added to the model later gets the
    same value on both paths.
    """
    staged = set(staged)
    names, placeholders, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in staged or field.generated:
            continue
        value = given[field.attname] if field.attname in given else field.get_default()
        if value is None and not field.null:
            raise ValueError(f"{model.__name__}.{field.name} has no default: the PostgreSQL bulk path must set it")
        names.append(connection.ops.quote_name(field.column))
        placeholders.append(f"CAST(%s AS {field.db_type(connection)})")
        values.append(field.get_db_prep_save(value, connection))
    return names, placeholders, values


def _upsert_sql(model: type[Model], stage: str, staged: tuple[str, ...], given: dict[str, object],
                conflict: tuple[str, ...], update: list[str], changed: str, returning: str = "") -> tuple[str, list]:
    """``INSERT … SELECT`` from ``stage`` that overwrites a conflicting row only when ``changed``
    (a condition on the stored row ``t`` and the ``EXCLUDED`` one)."""
    qn = connection.ops.quote_name
    fixed, placeholders, values = _constant_columns(model, staged, given)
    columns = [qn(_column(model, name)[0]) for name in staged] + fixed
    sets = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (_column(model, name)[0] for name in update))
    select = ", ".join([f"s.{qn(name)}" for name in staged] + placeholders)
    arbiter = ", ".join(qn(_column(model, name)[0]) for name in conflict)
    # In the staged order, so ids are handed out as the ORM would.
    sql = (f"INSERT INTO {qn(model._meta.db_table)} AS t ({', '.join(columns)}) "
           f"SELECT {select} FROM {stage} s ORDER BY s.seq "
           f"ON CONFLICT ({arbiter}) DO UPDATE SET {sets} WHERE {changed} {returning}")
    return sql, values


class PostgresWriter(OrmWriter):
    """``OrmWriter`` with threads, posts, tags and comments written in bulk.

    Precondition for every method: called inside ``transaction.atomic()`` (the staging
    tables empty themselves at commit).
    """

    def __init__(self, *, source) -> None:
        super().__init__(source=source)
        self._planned_rows: dict[str, float] = {}  # table -> rows its statistics count
        self._added_rows: dict[str, int] = {}  # table -> rows written since
        # Staging tables created on ``_staged_on`` (a temporary table lives as long as its
        # session): created once per connection, not once per batch.
        self._staged_on = None
        self._staged: set[str] = set()

    # -- plumbing ------------------------------------------------------------------
    def _cursor(self) -> psycopg.Cursor:
        connection.ensure_connection()
        # A plain psycopg cursor binds parameters on the server: arrays of keys travel
        # in binary instead of being quoted into the SQL text (Django's cursor does that).
        return psycopg.Cursor(connection.connection)

    def _run(self, sql: str, params=None) -> list[tuple]:
        with connection.wrap_database_errors, self._cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _written(self, table: str, rows: int, keys: str) -> None:
        """ANALYZE ``table`` once the rows written to it outnumber those its statistics know.

        A first harvest grows tables from nothing faster than autovacuum (when it is on at
        all) re-reads them; without statistics the planner takes the source's index
        (every thread of the source) for a one-row key lookup. Analyzing at each doubling
        costs a few ANALYZEs per run, and none once a table is large; only the ``keys``
        columns are analyzed (reading post bodies would cost more than the lookups save).
        """
        if table not in self._planned_rows:
            known = self._run("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            self._planned_rows[table] = max(known[0][0], 0.0) if known else 0.0
        added = self._added_rows[table] = self._added_rows.get(table, 0) + rows
        if added > max(self._planned_rows[table], _ANALYZE_AFTER):
            self._run(f"ANALYZE {table} ({keys})")
            self._planned_rows[table] += added
            self._added_rows[table] = 0

    def _stage(self, table: str, columns: list[tuple[str, str]], rows: Iterable[tuple]) -> None:
        """Fill the temporary ``table`` with ``rows`` (after ``seq``, their order), empty first."""
        definition = ", ".join(f"{name} {kind}" for name, kind in [("seq", "integer"), *columns])
        names = ", ".join(name for name, _ in [("seq", ""), *columns])
        with connection.wrap_database_errors, self._cursor() as cur:
            if self._staged_on is not connection.connection:
                self._staged_on, self._staged = connection.connection, set()
            if table not in self._staged:
                cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DELETE ROWS")
            # Rows of an earlier record of the same transaction (the one-by-one retry) go first.
            cur.execute(f"DELETE FROM {table}")
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for seq, row in enumerate(rows):
                    copy.write_row((seq, *row))
        self._staged.add(table)

    def forget_ids(self) -> None:
        super().forget_ids()
        # A staging table created in the rolled-back transaction is gone with it.
        self._staged.clear()

    # -- threads -------------------------------------------------------------------
    def _threads(self, columns: str, external_ids: list[str]) -> list[tuple]:
        return self._run(
            f"SELECT {columns} FROM unnest(%s::text[]) AS k(external_id) CROSS JOIN LATERAL "
            f"(SELECT * FROM {Thread._meta.db_table} WHERE source_id = %s AND external_id = k.external_id LIMIT 1) t",
            [external_ids, self.source.pk])

    def existing_threads(self, external_ids: Iterable[str]) -> dict[str, tuple[int, str, bool, str]]:
        rows = self._threads("t.external_id, t.id, t.content_hash, t.is_deleted, t.accepted_post_external_id",
                             list(external_ids))
        return {ext: (tid, digest, deleted, accepted) for ext, tid, digest, deleted, accepted in rows}

    def thread_ids(self, external_ids: list[str]) -> list[tuple[str, int, str]]:
        return self._threads("t.external_id, t.id, t.accepted_post_external_id", external_ids)

    def upsert_threads(self, rows: list[ThreadRow]) -> dict[str, int]:
        self._stage(_THREAD_STAGE, [_column(Thread, name) for name in ThreadRow._fields], rows)
        sql, values = _upsert_sql(
            Thread, _THREAD_STAGE, ThreadRow._fields,
            given={"source_id": self.source.pk, "is_deleted": False, "search_dirty": True,
                   "updated_at": timezone.now()},
            conflict=("source_id", "external_id"), update=THREAD_FIELDS,
            changed="t.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR t.is_deleted",
            returning="RETURNING t.external_id, t.id")
        ids = dict(self._run(sql, values))
        self._written(Thread._meta.db_table, len(ids), "source_id, external_id")
        return ids

    def _write_tags(self, pairs: set[tuple[int, int]], *, replace: set[int]) -> None:
        through = Thread.tags.through._meta.db_table
        if replace:
            self._run(f"DELETE FROM {through} WHERE thread_id = ANY(%s)", [list(replace)])
        if pairs:
            threads, tags = zip(*pairs)
            self._run(f"INSERT INTO {through} (thread_id, tag_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[]) "
                      "ON CONFLICT DO NOTHING", [list(threads), list(tags)])
            self._written(through, len(pairs), "thread_id")

    def mark_search_dirty(self, thread_ids: set[int]) -> None:
        self._run(f"UPDATE {Thread._meta.db_table} SET search_dirty = true WHERE id = ANY(%s) AND NOT search_dirty",
                  [list(thread_ids)])

    # -- posts ---------------------------------------------------------------------
    def existing_posts(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, str, bool]]:
        keys = list(keys)
        rows = self._run(
            "SELECT p.id, k.thread_id, k.external_id, p.content_hash, p.is_deleted "
            f"FROM unnest(%s::bigint[], %s::text[]) AS k(thread_id, external_id) CROSS JOIN LATERAL ({_POST_BY_KEY}) p",
            [[tid for tid, _ in keys], [ext for _, ext in keys]])
        return {(tid, ext): (pid, digest, deleted) for pid, tid, ext, digest, deleted in rows}

    def upsert_posts(self, rows: list[PostRow], *, replaced: dict[int, tuple[int, str]]) -> None:
        post, stage = Post._meta.db_table, _POST_STAGE
        self._stage(stage, [_column(Post, name) for name in PostRow._fields], rows)
        if replaced:
            self._keep_revisions_in_sql()
        if any(row.is_accepted for row in rows):
            # One accepted answer per thread (a database constraint): clear the previous
            # mark first, except on posts about to be written accepted again.
            self._run(
                f"UPDATE {post} p SET is_accepted = false "
                f"FROM (SELECT DISTINCT thread_id FROM {stage} WHERE is_accepted) AS k CROSS JOIN LATERAL "
                f"(SELECT id FROM {post} WHERE thread_id = k.thread_id AND is_accepted LIMIT 1) AS marked "
                f"WHERE p.id = marked.id AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.is_accepted "
                "AND s.thread_id = p.thread_id AND s.external_id = p.external_id)")
        sql, values = _upsert_sql(
            Post, stage, PostRow._fields, given={"body_format": Post.Format.HTML, "is_deleted": False},
            conflict=("thread_id", "external_id"), update=POST_FIELDS,
            changed="t.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR t.is_deleted")
        self._run(sql, values)
        self._written(post, len(rows), "thread_id, external_id, is_accepted")

    def _keep_revisions_in_sql(self) -> None:
        """Staged posts already stored whose body changes keep the stored body as a revision."""
        fixed, placeholders, values = _constant_columns(
            PostRevision, ("post_id", "number", "body", "created_at"),
            given={"editor_name": REVISION_EDITOR, "reason": REVISION_REASON})
        revision = PostRevision._meta.db_table
        self._run(
            f"INSERT INTO {revision} (post_id, number, body, created_at, {', '.join(fixed)}) "
            f"SELECT p.id, COALESCE((SELECT max(r.number) FROM {revision} r WHERE r.post_id = p.id), 0) + 1, "
            f"p.body, COALESCE(p.edited_at, %s), {', '.join(placeholders)} "
            f"FROM {_POST_STAGE} AS k CROSS JOIN LATERAL ({_POST_BY_KEY}) p WHERE p.body IS DISTINCT FROM k.body",
            [timezone.now(), *values])

    # -- comments ------------------------------------------------------------------
    def upsert_comments(self, rows: list[CommentRow]) -> None:
        # The post's id as text: one too long for the column is a post we do not hold, not an error.
        columns = [("post_external_id", "text")]
        columns += [_column(Comment, name) for name in CommentRow._fields[1:]]
        self._stage(_COMMENT_STAGE, columns, rows)
        qn = connection.ops.quote_name
        staged = CommentRow._fields[1:]
        fixed, placeholders, values = _constant_columns(Comment, ("post_id", *staged), given={})
        sets = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in COMMENT_FIELDS)
        # The last version of a comment in the batch wins, as it would row by row.
        written = self._run(
            f"INSERT INTO {Comment._meta.db_table} AS t (post_id, {', '.join(staged)}, {', '.join(fixed)}) "
            f"SELECT DISTINCT ON (p.id, s.external_id) p.id, {', '.join(f's.{c}' for c in staged)}, "
            f"{', '.join(placeholders)} FROM {_COMMENT_STAGE} s "
            # The post by its external id, then its thread's source checked per candidate (a
            # subquery the planner cannot turn into a scan of the source's threads).
            f"CROSS JOIN LATERAL (SELECT c.id FROM {Post._meta.db_table} c WHERE c.external_id = s.post_external_id "
            f"AND (SELECT th.source_id FROM {Thread._meta.db_table} th WHERE th.id = c.thread_id) = %s LIMIT 1) p "
            "ORDER BY p.id, s.external_id, s.seq DESC "
            f"ON CONFLICT (post_id, external_id) DO UPDATE SET {sets} WHERE t.body IS DISTINCT FROM EXCLUDED.body "
            "RETURNING t.id", [*values, self.source.pk])
        self._written(Comment._meta.db_table, len(written), "post_id, external_id")

