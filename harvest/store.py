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
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from community.models import Comment, Post, PostRevision, Tag, Thread, ThreadLink
from community.signals import threads_changed
from harvest import cleaning
from harvest.cleaning import aware, record_hash
from harvest.models import HarvestError, HarvestRun, Source
from harvest.records import (
    CommentRecord, DeletedRecord, ItemError, LinkRecord, PostRecord, Record, ThreadRecord,
)

logger = logging.getLogger(__name__)

THREAD_FIELDS = [
    "title", "url", "author_name", "created_at", "last_activity_at", "score", "view_count", "answer_count",
    "license", "is_closed", "closed_reason", "duplicate_of_external_id", "accepted_post_external_id",
    "is_deleted", "content_hash", "search_dirty", "updated_at",
]
POST_FIELDS = [
    "body", "author_name", "url", "created_at", "edited_at", "score", "is_accepted", "license", "is_deleted",
    "content_hash",
]
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


class ThreadStore:
    """Buffers records for one run and writes them batch by batch.

    Counts are per post (a question or an answer): new, updated, unchanged; posts
    and threads gone at the source count as deleted; unreadable items as failed.
    """

    def __init__(
        self, *, source: Source, run: HarvestRun, batch_size: int | None = None,
        before_batch: Callable[[list[Record]], None] | None = None,
        after_batch: Callable[[], None] | None = None,
    ):
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
        self._tag_ids: dict[str, int] = {}

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
            self._threads.clear()  # ids cached by the rolled-back batch may not exist
            counts = _Counts()
            with transaction.atomic():
                for record in batch:
                    try:
                        with transaction.atomic():
                            self._write([record], counts)
                    except DatabaseError as exc:
                        self._threads.clear()
                        counts.fail(describe(record), f"could not be stored: {exc}".strip())
                self._save_progress(counts)
        self.changed_thread_ids |= counts.changed_threads
        if counts.changed_threads:
            ids = sorted(counts.changed_threads)
            transaction.on_commit(lambda: threads_changed.send(sender=Thread, thread_ids=ids))
        if self.after_batch:
            self.after_batch()

    def record_error(self, item: str, message: str) -> None:
        HarvestError.objects.create(run=self.run, item=item[:1000], message=message)
        HarvestRun.objects.filter(pk=self.run.pk).update(failed_count=F("failed_count") + 1)

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
        existing = {
            row["external_id"]: row
            for row in Thread.objects.filter(source=self.source, external_id__in=list(by_id)).values(
                "id", "external_id", "content_hash", "is_deleted", "accepted_post_external_id")
        }
        changed: list[Thread] = []
        tag_sets: dict[str, tuple[str, ...]] = {}
        for ext_id, record in by_id.items():
            digest = record_hash(
                record.title, record.tags, record.url, record.author_name, record.created_at, record.score,
                record.answer_count, record.is_closed, record.closed_reason, record.duplicate_of_external_id,
                record.accepted_post_external_id, record.license, self.mask,
            )
            row = existing.get(ext_id)
            if row and row["content_hash"] == digest and not row["is_deleted"]:
                self._remember(ext_id, row["id"], row["accepted_post_external_id"])
                continue
            answers = record.answer_count
            if answers is None:
                answers = sum(not post.is_question for post in record.posts)
            changed.append(Thread(
                source=self.source,
                external_id=ext_id,
                title=cleaning.clean_text(record.title, mask=self.mask, limit=500) or "(untitled)",
                url=record.url[:1000],
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
                is_deleted=False,
                content_hash=digest,
                search_dirty=True,
            ))
            tag_sets[ext_id] = record.tags
        if not changed:
            return
        Thread.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["source", "external_id"], update_fields=THREAD_FIELDS,
        )
        for thread in changed:
            self._remember(thread.external_id, thread.pk, thread.accepted_post_external_id)
            counts.changed_threads.add(thread.pk)
        self._set_tags({self._threads[e][0]: tags for e, tags in tag_sets.items()},
                       replace={existing[e]["id"] for e in tag_sets if e in existing})

    def _set_tags(self, thread_tags: dict[int, tuple[str, ...]], *, replace: set[int]) -> None:
        names = {name.strip()[:50].lower() for tags in thread_tags.values() for name in tags if name.strip()}
        unknown = names - self._tag_ids.keys()
        if unknown:
            Tag.objects.bulk_create([Tag(name=n) for n in unknown], ignore_conflicts=True)
            self._tag_ids.update(Tag.objects.filter(name__in=unknown).values_list("name", "id"))
        through = Thread.tags.through
        if replace:
            through.objects.filter(thread_id__in=replace).delete()
        rows = {(tid, self._tag_ids[n.strip()[:50].lower()]) for tid, tags in thread_tags.items()
                for n in tags if n.strip()}
        if rows:
            through.objects.bulk_create([through(thread_id=t, tag_id=g) for t, g in rows], ignore_conflicts=True)

    def _thread_ids(self, external_ids: set[str]) -> None:
        """Load the ids of threads this store has not met yet (stored by an earlier run or batch)."""
        missing = [ext for ext in external_ids if ext not in self._threads]
        if missing:
            rows = Thread.objects.filter(source=self.source, external_id__in=missing).values_list(
                "external_id", "id", "accepted_post_external_id")
            for ext, tid, accepted in rows:
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
        existing = {
            (row[1], row[2]): row
            for row in Post.objects.filter(
                thread_id__in={tid for tid, _ in keyed}, external_id__in={ext for _, ext in keyed}
            ).values_list("id", "thread_id", "external_id", "content_hash", "is_deleted")
        }
        written: list[Post] = []
        replaced: list[int] = []
        for (tid, ext), (record, is_accepted) in keyed.items():
            digest = record_hash(record.body_html, record.author_name, record.created_at, record.edited_at,
                                 record.score, is_accepted, record.url, record.license, self.mask, self.max_chars)
            row = existing.get((tid, ext))
            if row and row[3] == digest and not row[4]:
                counts.unchanged += 1
                continue
            body, warning = cleaning.clean_body(record.body_html or "", mask=self.mask, max_chars=self.max_chars)
            if warning:
                counts.errors.append((describe(record), warning))
            written.append(Post(
                thread_id=tid, external_id=ext, is_question=record.is_question,
                author_name=cleaning.clean_text(record.author_name, mask=False, limit=200),
                body=body, body_format=Post.Format.HTML, url=record.url[:1000],
                created_at=aware(record.created_at) or timezone.now(), edited_at=aware(record.edited_at),
                score=record.score, is_accepted=is_accepted,
                license=(record.license or self.source.license)[:100], is_deleted=False, content_hash=digest,
            ))
            if row:
                counts.updated += 1
                replaced.append(row[0])
            else:
                counts.new += 1
            counts.changed_threads.add(tid)
        if not written:
            return
        # Bodies being replaced, read before the upsert overwrites them (kept as revisions).
        old = list(Post.objects.filter(pk__in=replaced).values_list("id", "body", "edited_at")) if replaced else []
        accepted_threads = {post.thread_id for post in written if post.is_accepted}
        if accepted_threads:
            # One accepted answer per thread (a database constraint): clear the previous
            # mark first, except on posts about to be written accepted again.
            keep = {(post.thread_id, post.external_id) for post in written if post.is_accepted}
            stale = Post.objects.filter(thread_id__in=accepted_threads, is_accepted=True).values_list(
                "id", "thread_id", "external_id")
            clear = [pid for pid, tid, ext in stale if (tid, ext) not in keep]
            if clear:
                Post.objects.filter(pk__in=clear).update(is_accepted=False)
        Post.objects.bulk_create(
            written, update_conflicts=True, unique_fields=["thread", "external_id"], update_fields=POST_FIELDS,
        )
        if old:
            new_body = {(post.thread_id, post.external_id): post.body for post in written}
            key_of = {row[0]: key for key, row in existing.items()}
            revisions = [(pid, body, edited) for pid, body, edited in old if new_body[key_of[pid]] != body]
            if revisions:
                self._keep_revisions(revisions)
        Thread.objects.filter(pk__in=counts.changed_threads, search_dirty=False).update(search_dirty=True)

    def _keep_revisions(self, revisions) -> None:
        numbers: dict[int, int] = {}
        for post_id, number in PostRevision.objects.filter(
                post_id__in=[r[0] for r in revisions]).values_list("post_id", "number"):
            numbers[post_id] = max(numbers.get(post_id, 0), number)
        PostRevision.objects.bulk_create([
            PostRevision(post_id=pid, number=numbers.get(pid, 0) + 1, body=body, editor_name="(source)",
                         reason="replaced by a newer version at the source", created_at=edited or timezone.now())
            for pid, body, edited in revisions
        ])

    def _mark_missing_posts(self, thread_id: int, record: ThreadRecord, counts: _Counts) -> None:
        seen = {p.external_id for p in record.posts}
        gone = Post.objects.filter(thread_id=thread_id, is_deleted=False).exclude(external_id__in=seen)
        gone = gone.exclude(author__isnull=False)  # never touch posts written in Gleaner itself
        n = gone.update(is_deleted=True)
        if n:
            counts.deleted += n
            counts.changed_threads.add(thread_id)

    def _upsert_comments(self, records: list[CommentRecord]) -> None:
        post_ids = dict(
            Post.objects.filter(thread__source=self.source, external_id__in={r.post_external_id for r in records})
            .values_list("external_id", "id")
        )
        existing = {
            (post_id, ext): (cid, body)
            for cid, post_id, ext, body in Comment.objects.filter(
                post_id__in=post_ids.values(), external_id__in={r.external_id for r in records}
            ).values_list("id", "post_id", "external_id", "body")
        }
        written = []
        for record in records:
            pid = post_ids.get(record.post_external_id)
            if pid is None:
                continue  # a comment on a post we do not hold (deleted or a wiki post): nothing to attach it to
            body = cleaning.clean_text(cleaning.strip_tags(record.body), mask=self.mask, limit=2000)
            row = existing.get((pid, record.external_id))
            if row and row[1] == body:
                continue
            written.append(Comment(post_id=pid, external_id=record.external_id, body=body,
                                   author_name=record.author_name[:200], score=record.score,
                                   created_at=aware(record.created_at) or timezone.now()))
        if written:
            Comment.objects.bulk_create(written, update_conflicts=True, unique_fields=["post", "external_id"],
                                        update_fields=["body", "score", "author_name"])

    def _mark_deleted(self, record: DeletedRecord, counts: _Counts) -> None:
        updated = Thread.objects.filter(
            source=self.source, external_id=record.thread_external_id, is_deleted=False
        ).update(is_deleted=True, search_dirty=True, updated_at=timezone.now())
        if updated:
            counts.deleted += 1
            counts.changed_threads.update(
                Thread.objects.filter(source=self.source, external_id=record.thread_external_id)
                .values_list("id", flat=True))

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
