"""Idempotent upsert of importer records into the shared thread/post tables.

Records arrive in batches; each batch is written in one transaction together with
the run's counts and checkpoint cursor, so a run killed at any moment resumes from
the last stored batch with nothing lost and nothing doubled.

Keys are (source, external id). Each thread and post carries a hash of the record
as the source gave it (taken *before* sanitizing, so unchanged posts cost no nh3
pass): unchanged content writes nothing and is counted unchanged; a changed post
keeps its previous body as a ``PostRevision``; posts missing from a complete thread
and threads the source reports gone are marked deleted, never silently kept.

A batch costs a handful of queries whatever its size: one lookup of existing
threads, one of existing posts, one upsert (``INSERT … ON CONFLICT DO UPDATE``) per
table, and tag rows only for threads that changed. If a batch fails in the
database, its records are retried one by one so one bad item is recorded and
skipped instead of aborting the run.

This module decides what to write; the reads and writes themselves go through a
writer: ``harvest.store_orm`` (the Django ORM, any database) or, on PostgreSQL,
``harvest.store_pg`` (``COPY`` into staging tables; same stored result, faster).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from community.models import Post, Source, Thread, ThreadLink
from community.signals import threads_changed
from core.outbound import web_url_or_blank
from harvest import cleaning
from harvest.cleaning import aware, record_hash
from harvest.engine.records import (
    CommentRecord, DeletedRecord, ItemError, LinkRecord, PostRecord, Record, ThreadRecord,
)
from harvest.engine.seen import SeenSet
from harvest.models import HarvestError, HarvestRun
from harvest.store_orm import CommentRow, OrmWriter, PostRow, ThreadRow

logger = logging.getLogger(__name__)

# Thread ids remembered across batches (answers often arrive after their question's
# batch); cleared when full so memory stays bounded whatever the dump's size.
_THREAD_CACHE_MAX = 200_000


@dataclass
class _Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    changed_threads: set[int] = field(default_factory=set)

    def fail(self, item: str, message: str) -> None:
        self.failed += 1
        self.errors.append((item, message))

    def add(self, other: "_Counts") -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.failed += other.failed
        self.errors += other.errors
        self.changed_threads |= other.changed_threads


def describe(record: Record) -> str:
    """The item an error is about, as an editor would look for it."""
    if isinstance(record, ThreadRecord):
        return f"thread {record.external_id}" + (f" ({record.url})" if record.url else "")
    if isinstance(record, PostRecord):
        return f"post {record.external_id}" + (f" ({record.url})" if record.url else "")
    if isinstance(record, CommentRecord):
        return f"comment {record.external_id}"
    if isinstance(record, LinkRecord):
        return f"link {record.from_external_id} -> {record.to_external_id}"
    if isinstance(record, DeletedRecord):
        return f"thread {record.thread_external_id}"
    return record.item


def writer_for(source: Source) -> OrmWriter:
    """The bulk ``COPY`` writer on PostgreSQL (unless ``HARVEST_BULK_COPY`` is off), else the ORM one."""
    if connection.vendor == "postgresql" and settings.HARVEST_BULK_COPY:
        # Imported here: the COPY writer needs psycopg, which a SQLite install never loads.
        from harvest.store_pg import PostgresWriter

        return PostgresWriter(source=source)
    return OrmWriter(source=source)


class ThreadStore:
    """Buffers records for one run and writes them batch by batch.

    Counts are per post (a question or an answer): new, updated, unchanged; posts
    and threads gone at the source count as deleted; unreadable items as failed.
    """

    def __init__(
        self, *, source: Source, run: HarvestRun, batch_size: int | None = None,
        before_batch: Callable[[list[Record]], None] | None = None,
        after_batch: Callable[[], None] | None = None,
        ledger: SeenSet | None = None,
    ):
        # Deletions seen during the run wait in the ledger until the run is known complete
        # (``apply_deferred_deletions``); without one they are written with their batch.
        self.ledger = ledger
        self.before_batch = before_batch
        self.after_batch = after_batch
        self.source = source
        self.run = run
        self.batch_size = batch_size or settings.HARVEST_BATCH_SIZE
        self.mask = settings.HARVEST_MASK_CONTACTS
        self.max_chars = settings.HARVEST_MAX_POST_CHARS
        self.buffer: list[Record] = []
        self.cursor: dict | None = None
        self.changed_thread_ids: set[int] = set()
        self._threads: dict[str, tuple[int, str]] = {}  # external id -> (id, accepted post's external id)
        self.db = writer_for(source)

    # -- intake -------------------------------------------------------------------
    def add(self, record: Record, cursor: dict | None) -> None:
        self.buffer.append(record)
        if cursor is not None:
            self.cursor = cursor
        # Only at a resume point: the saved cursor must cover every stored record.
        if len(self.buffer) >= self.batch_size and cursor is not None:
            self.flush()

    def flush(self) -> None:
        if not self.buffer and self.cursor is None:
            return
        batch, self.buffer = self.buffer, []
        if self.before_batch:
            self.before_batch(batch)
        counts = _Counts()
        try:
            with transaction.atomic():
                self._write(batch, counts)
                self._save_progress(counts)
        except DatabaseError:
            logger.warning("batch of %d records failed in the database; storing them one by one", len(batch))
            self._forget_ids()
            counts = _Counts()
            with transaction.atomic():
                for record in batch:
                    # Counted only once stored: a refused post is failed, not also new.
                    one = _Counts()
                    try:
                        with transaction.atomic():
                            self._write([record], one)
                    except DatabaseError as exc:
                        self._forget_ids()
                        counts.fail(describe(record), f"could not be stored: {exc}".strip())
                    else:
                        counts.add(one)
                self._save_progress(counts)
        self.changed_thread_ids |= counts.changed_threads
        if counts.changed_threads:
            ids = sorted(counts.changed_threads)
            transaction.on_commit(lambda: threads_changed.send(sender=Thread, thread_ids=ids))
        if self.after_batch:
            self.after_batch()

    def _forget_ids(self) -> None:
        """Drop the ids cached from a rolled-back transaction: its threads and tags may not exist."""
        self._threads.clear()
        self.db.forget_ids()

    # -- writing ---------------------------------------------------------------------
    def _write(self, batch: list[Record], counts: _Counts) -> None:
        threads, posts, comments, links, deleted = [], [], [], [], []
        for record in batch:
            if isinstance(record, ThreadRecord):
                threads.append(record)
            elif isinstance(record, PostRecord):
                posts.append(record)
            elif isinstance(record, CommentRecord):
                comments.append(record)
            elif isinstance(record, LinkRecord):
                links.append(record)
            elif isinstance(record, DeletedRecord):
                deleted.append(record)
            elif isinstance(record, ItemError):
                counts.fail(record.item, record.message)
        if threads:
            self._upsert_threads(threads, counts)
        items = [(t.external_id, p, t.accepted_post_external_id) for t in threads for p in t.posts]
        items += [(p.thread_external_id, p, None) for p in posts]
        if items:
            self._upsert_posts(items, counts)
        for thread in threads:
            known = self._threads.get(thread.external_id)
            if thread.complete and thread.posts and known:
                self._mark_missing_posts(known[0], thread, counts)
        if comments:
            self._upsert_comments(comments)
        if links:
            ThreadLink.objects.bulk_create(
                [ThreadLink(source=self.source, from_external_id=link.from_external_id,
                            to_external_id=link.to_external_id, kind=link.kind) for link in links],
                ignore_conflicts=True,
            )
        for record in deleted:
            self._mark_deleted(record, counts)

    def _remember(self, external_id: str, thread_id: int, accepted: str) -> None:
        if len(self._threads) >= _THREAD_CACHE_MAX:
            self._threads.clear()
        self._threads[external_id] = (thread_id, accepted)

    def _upsert_threads(self, records: list[ThreadRecord], counts: _Counts) -> None:
        by_id = {record.external_id: record for record in records}  # the last version in a batch wins
        existing = self.db.existing_threads(by_id)
        changed: list[ThreadRow] = []
        tag_sets: dict[str, tuple[str, ...]] = {}
        for ext_id, record in by_id.items():
            digest = record_hash(
                record.title, record.tags, record.url, record.author_name, record.created_at, record.score,
                record.answer_count, record.is_closed, record.closed_reason, record.duplicate_of_external_id,
                record.accepted_post_external_id, record.license, self.mask,
            )
            row = existing.get(ext_id)
            if row and row[1] == digest and not row[2]:
                self._remember(ext_id, row[0], row[3])
                continue
            answers = record.answer_count
            if answers is None:
                answers = sum(not post.is_question for post in record.posts)
            changed.append(ThreadRow(
                external_id=ext_id,
                title=cleaning.clean_text(record.title, mask=self.mask, limit=500) or "(untitled)",
                url=web_url_or_blank(record.url)[:1000],
                author_name=record.author_name[:200],
                created_at=aware(record.created_at) or timezone.now(),
                last_activity_at=aware(record.last_activity_at or record.created_at) or timezone.now(),
                score=record.score,
                view_count=max(record.view_count, 0),
                answer_count=max(answers, 0),
                license=(record.license or self.source.license)[:100],
                is_closed=record.is_closed,
                closed_reason=record.closed_reason[:200],
                duplicate_of_external_id=record.duplicate_of_external_id,
                accepted_post_external_id=record.accepted_post_external_id,
                content_hash=digest,
            ))
            tag_sets[ext_id] = record.tags
        if not changed:
            return
        ids = self.db.upsert_threads(changed)
        for thread in changed:
            if thread.external_id in ids:
                self._remember(thread.external_id, ids[thread.external_id], thread.accepted_post_external_id)
                counts.changed_threads.add(ids[thread.external_id])
        self.db.set_tags({ids[e]: tags for e, tags in tag_sets.items() if e in ids},
                         replace={existing[e][0] for e in tag_sets if e in existing})

    def _thread_ids(self, external_ids: set[str]) -> None:
        """Load the ids of threads this store has not met yet (stored by an earlier run or batch)."""
        missing = [ext for ext in external_ids if ext not in self._threads]
        if missing:
            for ext, tid, accepted in self.db.thread_ids(missing):
                self._remember(ext, tid, accepted)

    def _upsert_posts(self, items: list[tuple[str, PostRecord, str | None]], counts: _Counts) -> None:
        self._thread_ids({ext for ext, _, _ in items})
        keyed: dict[tuple[int, str], tuple[PostRecord, bool]] = {}
        for thread_ext, record, accepted in items:
            known = self._threads.get(thread_ext)
            if known is None:
                counts.fail(describe(record), f"its thread {thread_ext or '(none)'} is not in this source")
                continue
            accepted = known[1] if accepted is None else accepted
            is_accepted = record.is_accepted or (bool(accepted) and accepted == record.external_id)
            keyed[(known[0], record.external_id)] = (record, is_accepted)
        existing = self.db.existing_posts(keyed) if keyed else {}
        written: list[PostRow] = []
        replaced: dict[int, tuple[int, str]] = {}
        for (tid, ext), (record, is_accepted) in keyed.items():
            digest = record_hash(record.body_html, record.author_name, record.created_at, record.edited_at,
                                 record.score, is_accepted, record.url, record.license, self.mask, self.max_chars)
            row = existing.get((tid, ext))
            if row and row[1] == digest and not row[2]:
                counts.unchanged += 1
                continue
            body, warning = cleaning.clean_body(record.body_html or "", mask=self.mask, max_chars=self.max_chars)
            if warning:
                counts.errors.append((describe(record), warning))
            written.append(PostRow(
                thread_id=tid, external_id=ext, is_question=record.is_question,
                author_name=cleaning.clean_text(record.author_name, mask=False, limit=200),
                body=body, url=web_url_or_blank(record.url)[:1000],
                created_at=aware(record.created_at) or timezone.now(), edited_at=aware(record.edited_at),
                score=record.score, is_accepted=is_accepted,
                license=(record.license or self.source.license)[:100], content_hash=digest,
            ))
            if row:
                counts.updated += 1
                replaced[row[0]] = (tid, ext)
            else:
                counts.new += 1
            counts.changed_threads.add(tid)
        if not written:
            return
        self.db.upsert_posts(written, replaced=replaced)
        self.db.mark_search_dirty(counts.changed_threads)

    def _mark_missing_posts(self, thread_id: int, record: ThreadRecord, counts: _Counts) -> None:
        seen = {p.external_id for p in record.posts}
        gone = Post.objects.filter(thread_id=thread_id, is_deleted=False).exclude(external_id__in=seen)
        gone = gone.exclude(author__isnull=False)  # never touch posts written in Gleaner itself
        if self.ledger is not None:
            self.ledger.defer_posts(gone.values_list("id", flat=True))
            return
        n = gone.update(is_deleted=True)
        if n:
            counts.deleted += n
            counts.changed_threads.add(thread_id)

    def _upsert_comments(self, records: list[CommentRecord]) -> None:
        self.db.upsert_comments([
            CommentRow(post_external_id=record.post_external_id, external_id=record.external_id,
                       body=cleaning.clean_text(cleaning.strip_tags(record.body), mask=self.mask, limit=2000),
                       author_name=record.author_name[:200], score=record.score,
                       created_at=aware(record.created_at) or timezone.now())
            for record in records
        ])

    def _mark_deleted(self, record: DeletedRecord, counts: _Counts) -> None:
        if self.ledger is not None:
            self.ledger.defer_threads([record.thread_external_id])
            return
        updated = Thread.objects.filter(
            source=self.source, external_id=record.thread_external_id, is_deleted=False
        ).update(is_deleted=True, search_dirty=True, updated_at=timezone.now())
        if updated:
            counts.deleted += 1
            counts.changed_threads.update(
                Thread.objects.filter(source=self.source, external_id=record.thread_external_id)
                .values_list("id", flat=True))

    def apply_deferred_deletions(self) -> int:
        """Mark deleted what the ledger put off (threads reported gone, posts missing from
        complete threads); returns how many. Call only once the run is known complete."""
        if self.ledger is None:
            return 0
        deleted, changed = 0, set()
        gone = self.ledger.deferred_threads()
        for start in range(0, len(gone), 900):
            threads = Thread.objects.filter(source=self.source, external_id__in=gone[start:start + 900],
                                            is_deleted=False)
            ids = list(threads.values_list("id", flat=True))
            deleted += Thread.objects.filter(id__in=ids).update(
                is_deleted=True, search_dirty=True, updated_at=timezone.now())
            changed.update(ids)
        posts = self.ledger.deferred_posts()
        for start in range(0, len(posts), 900):
            rows = Post.objects.filter(id__in=posts[start:start + 900], is_deleted=False, author__isnull=True)
            thread_ids = set(rows.values_list("thread_id", flat=True))
            deleted += rows.update(is_deleted=True)
            Thread.objects.filter(id__in=thread_ids).update(search_dirty=True)
            changed |= thread_ids
        if deleted:
            HarvestRun.objects.filter(pk=self.run.pk).update(deleted_count=F("deleted_count") + deleted)
        if changed:
            self.changed_thread_ids |= changed
            ids = sorted(changed)
            transaction.on_commit(lambda: threads_changed.send(sender=Thread, thread_ids=ids))
        return deleted

    def _save_progress(self, counts: _Counts) -> None:
        if counts.errors:
            HarvestError.objects.bulk_create(
                [HarvestError(run=self.run, item=item[:1000], message=msg) for item, msg in counts.errors]
            )
        update = {
            "new_count": F("new_count") + counts.new,
            "updated_count": F("updated_count") + counts.updated,
            "unchanged_count": F("unchanged_count") + counts.unchanged,
            "deleted_count": F("deleted_count") + counts.deleted,
            "failed_count": F("failed_count") + counts.failed,
            "heartbeat_at": timezone.now(),
        }
        if self.cursor is not None:
            update["cursor"] = self.cursor
        HarvestRun.objects.filter(pk=self.run.pk).update(**update)
        if self.ledger is not None and counts.changed_threads:
            # Before the batch commits: a kill in between lists threads the resumed run
            # stores again anyway, never misses one.
            self.ledger.add_changed(counts.changed_threads)
