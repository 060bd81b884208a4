"""Idempotent upsert of importer records into the shared thread/post tables.

Records arrive in batches; each batch is written in one transaction together with
the run's counts and checkpoint cursor, so a run killed at any moment resumes from
the last stored batch with nothing lost and nothing doubled.

Keys are (source, external id). Each thread and post carries a content hash:
unchanged content writes nothing and is counted unchanged; a changed post keeps
its previous body as a ``PostRevision``; posts missing from a complete thread and
threads the source reports gone are marked deleted, never silently kept.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community.models import Comment, Post, PostRevision, Tag, Thread, ThreadLink
from community.signals import threads_changed
from harvest import cleaning
from harvest.models import HarvestError, HarvestRun, Source
from harvest.records import (
    CommentRecord,
    DeletedRecord,
    ItemError,
    LinkRecord,
    PostRecord,
    Record,
    ThreadRecord,
)

logger = logging.getLogger(__name__)

THREAD_FIELDS = [
    "title", "url", "author_name", "created_at", "last_activity_at", "score", "view_count", "answer_count",
    "license", "is_closed", "closed_reason", "duplicate_of_external_id", "accepted_post_external_id",
    "is_deleted", "content_hash", "search_dirty",
]
POST_FIELDS = [
    "body", "author_name", "url", "created_at", "edited_at", "score", "is_accepted", "license", "is_deleted",
    "content_hash",
]


def _hash(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt_timezone.utc)


@dataclass
class _Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    changed_threads: set[int] = field(default_factory=set)


class ThreadStore:
    """Buffers records for one run and writes them batch by batch.

    Counts are per post (a question or an answer): new, updated, unchanged; threads
    reported gone count as deleted; unreadable items count as failed.
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

    # -- intake -------------------------------------------------------------------
    def add(self, record: Record, cursor: dict | None) -> None:
        self.buffer.append(record)
        if cursor is not None:
            self.cursor = cursor
        if len(self.buffer) >= self.batch_size and cursor is not None:
            self.flush()

    def flush(self) -> None:
        if not self.buffer and self.cursor is None:
            return
        batch, self.buffer = self.buffer, []
        if self.before_batch:
            self.before_batch(batch)
        counts = _Counts()
        with transaction.atomic():
            self._write(batch, counts)
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
        threads = [r for r in batch if isinstance(r, ThreadRecord)]
        posts = [r for r in batch if isinstance(r, PostRecord)]
        comments = [r for r in batch if isinstance(r, CommentRecord)]
        links = [r for r in batch if isinstance(r, LinkRecord)]
        for record in batch:
            if isinstance(record, ItemError):
                counts.failed += 1
                counts.errors.append((record.item, record.message))
        thread_ids = self._upsert_threads(threads, counts) if threads else {}
        embedded = [(t.external_id, p) for t in threads for p in t.posts]
        standalone = [(p.thread_external_id, p) for p in posts]
        if embedded or standalone:
            self._upsert_posts(embedded + standalone, thread_ids, counts)
        for thread in threads:
            if thread.complete and thread.posts and thread.external_id in thread_ids:
                self._mark_missing_posts(thread_ids[thread.external_id], thread, counts)
        if comments:
            self._upsert_comments(comments, counts)
        if links:
            ThreadLink.objects.bulk_create(
                [ThreadLink(source=self.source, from_external_id=l.from_external_id,
                            to_external_id=l.to_external_id, kind=l.kind) for l in links],
                ignore_conflicts=True,
            )
        for record in batch:
            if isinstance(record, DeletedRecord):
                self._mark_deleted(record, counts)

    def _thread_hash(self, record: ThreadRecord) -> str:
        return _hash(
            record.title, sorted(record.tags), record.url, record.score, record.is_closed, record.closed_reason,
            record.duplicate_of_external_id, record.accepted_post_external_id, record.license, record.author_name,
        )

    def _upsert_threads(self, records: list[ThreadRecord], counts: _Counts) -> dict[str, int]:
        by_id: dict[str, ThreadRecord] = {}
        for record in records:
            by_id[record.external_id] = record  # the last version of a thread in a batch wins
        existing = {
            row["external_id"]: row
            for row in Thread.objects.filter(source=self.source, external_id__in=list(by_id)).values(
                "id", "external_id", "content_hash", "is_deleted"
            )
        }
        to_create, to_update, tag_sets = [], [], {}
        for ext_id, record in by_id.items():
            digest = self._thread_hash(record)
            row = existing.get(ext_id)
            if row and row["content_hash"] == digest and not row["is_deleted"]:
                continue
            thread = Thread(
                source=self.source,
                external_id=ext_id,
                title=cleaning.clean_text(record.title, mask=self.mask, limit=500) or "(untitled)",
                url=record.url[:1000],
                author_name=record.author_name[:200],
                created_at=_aware(record.created_at) or timezone.now(),
                last_activity_at=_aware(record.last_activity_at or record.created_at) or timezone.now(),
                score=record.score,
                view_count=max(record.view_count, 0),
                answer_count=max(record.answer_count or 0, 0),
                license=(record.license or self.source.license)[:100],
                is_closed=record.is_closed,
                closed_reason=record.closed_reason[:200],
                duplicate_of_external_id=record.duplicate_of_external_id,
                accepted_post_external_id=record.accepted_post_external_id,
                is_deleted=False,
                content_hash=digest,
                search_dirty=True,
            )
            if row:
                thread.pk = row["id"]
                to_update.append(thread)
            else:
                to_create.append(thread)
            tag_sets[ext_id] = record.tags
        if to_create:
            Thread.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            Thread.objects.bulk_update(to_update, THREAD_FIELDS, batch_size=500)
        ids = {
            row["external_id"]: row["id"]
            for row in Thread.objects.filter(source=self.source, external_id__in=list(by_id)).values("id", "external_id")
        }
        if tag_sets:
            self._set_tags({ids[e]: tags for e, tags in tag_sets.items()}, replace={t.pk for t in to_update})
        counts.changed_threads |= {ids[e] for e in tag_sets}
        return ids

    def _set_tags(self, thread_tags: dict[int, tuple[str, ...]], *, replace: set[int]) -> None:
        names = {name[:50].lower() for tags in thread_tags.values() for name in tags if name.strip()}
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        through = Thread.tags.through
        if replace:
            through.objects.filter(thread_id__in=replace).delete()
        through.objects.bulk_create(
            [through(thread_id=tid, tag_id=tag_ids[n[:50].lower()])
             for tid, tags in thread_tags.items() for n in set(tags) if n.strip()],
            ignore_conflicts=True,
        )

    def _post_hash(self, record: PostRecord, body: str) -> str:
        return _hash(body, record.author_name, record.score, record.is_accepted, record.edited_at, record.url,
                     record.license)

    def _upsert_posts(self, items: list[tuple[str, PostRecord]], thread_ids: dict[str, int], counts: _Counts) -> None:
        missing = {ext for ext, _ in items if ext not in thread_ids}
        if missing:
            for row in Thread.objects.filter(source=self.source, external_id__in=list(missing)).values("id", "external_id"):
                thread_ids[row["external_id"]] = row["id"]
        accepted = dict(
            Thread.objects.filter(pk__in=list(thread_ids.values())).values_list("id", "accepted_post_external_id")
        )
        keyed: dict[tuple[int, str], PostRecord] = {}
        for thread_ext, record in items:
            tid = thread_ids.get(thread_ext)
            if tid is None:
                counts.failed += 1
                counts.errors.append(
                    (f"post {record.external_id}", f"its thread {thread_ext or '(none)'} is not in this source")
                )
                continue
            keyed[(tid, record.external_id)] = record
        existing = {}
        for row in Post.objects.filter(
            thread_id__in={tid for tid, _ in keyed}, external_id__in={ext for _, ext in keyed}
        ).values("id", "thread_id", "external_id", "content_hash", "body", "is_deleted", "edited_at"):
            existing[(row["thread_id"], row["external_id"])] = row
        to_create, to_update, revisions = [], [], []
        answers_added: dict[int, int] = {}
        for (tid, ext), record in keyed.items():
            body, warning = cleaning.clean_body(record.body_html or "", mask=self.mask, max_chars=self.max_chars)
            if warning:
                counts.errors.append((f"post {ext}", warning))
            is_accepted = record.is_accepted or (bool(accepted.get(tid)) and accepted.get(tid) == ext)
            record_hash = self._post_hash(record, body) + ("a" if is_accepted else "")
            row = existing.get((tid, ext))
            if row and row["content_hash"] == record_hash and not row["is_deleted"]:
                counts.unchanged += 1
                continue
            post = Post(
                thread_id=tid,
                external_id=ext,
                is_question=record.is_question,
                author_name=cleaning.clean_text(record.author_name, mask=False, limit=200),
                body=body,
                body_format=Post.Format.HTML,
                url=record.url[:1000],
                created_at=_aware(record.created_at) or timezone.now(),
                edited_at=_aware(record.edited_at),
                score=record.score,
                is_accepted=is_accepted,
                license=(record.license or self.source.license)[:100],
                is_deleted=False,
                content_hash=record_hash,
            )
            if row:
                post.pk = row["id"]
                to_update.append(post)
                counts.updated += 1
                if row["body"] != body:
                    revisions.append((row["id"], row["body"], row["edited_at"]))
            else:
                to_create.append(post)
                counts.new += 1
                if not record.is_question:
                    answers_added[tid] = answers_added.get(tid, 0) + 1
            counts.changed_threads.add(tid)
        if to_update:
            accepted_now = [p for p in to_update if p.is_accepted]
            if accepted_now:
                # Clear a previous accepted mark first: one accepted answer per thread.
                Post.objects.filter(thread_id__in={p.thread_id for p in accepted_now}, is_accepted=True).exclude(
                    pk__in=[p.pk for p in accepted_now]
                ).update(is_accepted=False)
            Post.objects.bulk_update(to_update, POST_FIELDS, batch_size=500)
        if to_create:
            accepted_new = {p.thread_id for p in to_create if p.is_accepted}
            if accepted_new:
                Post.objects.filter(thread_id__in=accepted_new, is_accepted=True).update(is_accepted=False)
            Post.objects.bulk_create(to_create, batch_size=500)
        if revisions:
            self._keep_revisions(revisions)
        for tid, added in answers_added.items():
            Thread.objects.filter(pk=tid).update(answer_count=F("answer_count") + added, search_dirty=True)
        if counts.changed_threads:
            Thread.objects.filter(pk__in=counts.changed_threads, search_dirty=False).update(search_dirty=True)

    def _keep_revisions(self, revisions: list[tuple[int, str, datetime | None]]) -> None:
        numbers: dict[int, int] = {}
        for row in PostRevision.objects.filter(post_id__in=[r[0] for r in revisions]).values("post_id", "number"):
            numbers[row["post_id"]] = max(numbers.get(row["post_id"], 0), row["number"])
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

    def _upsert_comments(self, records: list[CommentRecord], counts: _Counts) -> None:
        post_ids = {
            row["external_id"]: row["id"]
            for row in Post.objects.filter(
                thread__source=self.source, external_id__in={r.post_external_id for r in records}
            ).values("id", "external_id")
        }
        existing = {
            (row["post_id"], row["external_id"]): row
            for row in Comment.objects.filter(post_id__in=post_ids.values(), external_id__in={r.external_id for r in records})
            .values("id", "post_id", "external_id", "body")
        }
        to_create, to_update = [], []
        for record in records:
            pid = post_ids.get(record.post_external_id)
            if pid is None:
                continue  # a comment on a post we do not hold (deleted or a wiki post): nothing to attach it to
            body = cleaning.clean_text(_strip_tags(record.body), mask=self.mask, limit=2000)
            row = existing.get((pid, record.external_id))
            if row and row["body"] == body:
                continue
            comment = Comment(post_id=pid, external_id=record.external_id, body=body,
                              author_name=record.author_name[:200], score=record.score,
                              created_at=_aware(record.created_at) or timezone.now())
            if row:
                comment.pk = row["id"]
                to_update.append(comment)
            else:
                to_create.append(comment)
        Comment.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
        if to_update:
            Comment.objects.bulk_update(to_update, ["body", "score"], batch_size=500)

    def _mark_deleted(self, record: DeletedRecord, counts: _Counts) -> None:
        thread = Thread.objects.filter(source=self.source, external_id=record.thread_external_id).first()
        if thread is None or thread.is_deleted:
            return
        thread.is_deleted = True
        thread.search_dirty = True
        thread.save(update_fields=["is_deleted", "search_dirty", "updated_at"])
        counts.deleted += 1
        counts.changed_threads.add(thread.pk)

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


def _strip_tags(text: str) -> str:
    if "<" not in text:
        return text
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "lxml").get_text(" ", strip=True)
