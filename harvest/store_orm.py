"""The harvest store's database writes through the Django ORM, for any database.

``harvest.store.ThreadStore`` decides what to write (hashes, comparisons, cleaning,
counts); a writer only reads and writes rows. This one is the generic writer (SQLite,
the embedded default, and anything else Django supports); ``harvest.store_pg`` swaps
the hot operations for ``COPY`` on PostgreSQL with the same stored result.

Rows come as the named tuples below, whose field names are the models' attribute
names, so the ORM can build instances from them and ``COPY`` can stream them as is.
Every method runs inside the caller's transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from community.models import Comment, Post, PostRevision, Tag, Thread
from community.validation import tag_slug

# Written on a changed thread or post (``ON CONFLICT DO UPDATE SET``); the other
# columns keep what they hold (moderation state, authors written in Gleaner, links).
THREAD_FIELDS = [
    "title", "url", "author_name", "created_at", "last_activity_at", "score", "view_count", "answer_count",
    "license", "is_closed", "closed_reason", "duplicate_of_external_id", "accepted_post_external_id",
    "is_deleted", "content_hash", "search_dirty", "updated_at",
]
POST_FIELDS = [
    "body", "author_name", "url", "created_at", "edited_at", "score", "is_accepted", "license", "is_deleted",
    "content_hash",
]
COMMENT_FIELDS = ["body", "score", "author_name"]
REVISION_EDITOR = "(source)"
REVISION_REASON = "replaced by a newer version at the source"


class ThreadRow(NamedTuple):
    """A thread to insert or update, cleaned (written with ``is_deleted=False, search_dirty=True``)."""

    external_id: str
    title: str
    url: str
    author_name: str
    created_at: datetime
    last_activity_at: datetime
    score: int
    view_count: int
    answer_count: int
    license: str
    is_closed: bool
    closed_reason: str
    duplicate_of_external_id: str
    accepted_post_external_id: str
    content_hash: str


class PostRow(NamedTuple):
    """A post to insert or update, cleaned (written as HTML, ``is_deleted=False``)."""

    thread_id: int
    external_id: str
    is_question: bool
    author_name: str
    body: str
    url: str
    created_at: datetime
    edited_at: datetime | None
    score: int
    is_accepted: bool
    license: str
    content_hash: str


class CommentRow(NamedTuple):
    """A comment, cleaned, keyed by its post's external id (the post may not be held)."""

    post_external_id: str
    external_id: str
    body: str
    author_name: str
    score: int
    created_at: datetime


def tag_label(name: str, slug: str) -> str:
    """The source's name for a tag, kept to show when the slug reads differently."""
    name = " ".join(name.split())[:100]
    return "" if name.lower() == slug else name


class OrmWriter:
    def __init__(self, *, source) -> None:
        self.source = source
        self._tag_ids: dict[str, int] = {}

    def forget_ids(self) -> None:
        """Called after a rollback: tags created by the rolled-back transaction are gone."""
        self._tag_ids.clear()

    # -- threads -------------------------------------------------------------------
    def existing_threads(self, external_ids: Iterable[str]) -> dict[str, tuple[int, str, bool, str]]:
        """external id -> (id, content hash, is deleted, accepted post's external id)."""
        rows = Thread.objects.filter(source=self.source, external_id__in=list(external_ids)).values_list(
            "external_id", "id", "content_hash", "is_deleted", "accepted_post_external_id")
        return {ext: (tid, digest, deleted, accepted) for ext, tid, digest, deleted, accepted in rows}

    def thread_ids(self, external_ids: list[str]) -> list[tuple[str, int, str]]:
        """(external id, id, accepted post's external id) of those threads that are stored."""
        return list(Thread.objects.filter(source=self.source, external_id__in=external_ids).values_list(
            "external_id", "id", "accepted_post_external_id"))

    def upsert_threads(self, rows: list[ThreadRow]) -> dict[str, int]:
        """Insert or overwrite ``rows`` (unique external ids); external id -> id of those written."""
        threads = [Thread(source=self.source, is_deleted=False, search_dirty=True, **row._asdict()) for row in rows]
        Thread.objects.bulk_create(
            threads, update_conflicts=True, unique_fields=["source", "external_id"], update_fields=THREAD_FIELDS,
        )
        return {thread.external_id: thread.pk for thread in threads}

    def set_tags(self, thread_tags: dict[int, tuple[str, ...]], *, replace: set[int]) -> None:
        """Give each thread exactly its tags; ``replace`` are threads that may hold old ones."""
        slugs = {name: tag_slug(name) for tags in thread_tags.values() for name in tags}
        labels: dict[str, str] = {}
        for name, slug in slugs.items():
            if slug:
                labels.setdefault(slug, tag_label(name, slug))
        self._load_tag_ids(labels)
        pairs = {(tid, self._tag_ids[slugs[n]]) for tid, tags in thread_tags.items() for n in tags if slugs[n]}
        self._write_tags(pairs, replace=replace)

    def _write_tags(self, pairs: set[tuple[int, int]], *, replace: set[int]) -> None:
        through = Thread.tags.through
        if replace:
            through.objects.filter(thread_id__in=replace).delete()
        if pairs:
            through.objects.bulk_create([through(thread_id=t, tag_id=g) for t, g in pairs], ignore_conflicts=True)

    def _load_tag_ids(self, labels: dict[str, str]) -> None:
        """Make sure a tag exists for each slug in ``labels`` (slug -> the source's name for it)."""
        # Tags are few and met again and again: each name costs a query once per run.
        unknown = labels.keys() - self._tag_ids.keys()
        if unknown:
            Tag.objects.bulk_create([Tag(name=n, label=labels[n]) for n in unknown], ignore_conflicts=True)
            self._tag_ids.update(Tag.objects.filter(name__in=unknown).values_list("name", "id"))

    def mark_search_dirty(self, thread_ids: set[int]) -> None:
        Thread.objects.filter(pk__in=thread_ids, search_dirty=False).update(search_dirty=True)

    # -- posts ---------------------------------------------------------------------
    def existing_posts(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, str, bool]]:
        """(thread id, external id) -> (id, content hash, is deleted) of those stored."""
        keys = list(keys)
        rows = Post.objects.filter(
            thread_id__in={tid for tid, _ in keys}, external_id__in={ext for _, ext in keys}
        ).values_list("id", "thread_id", "external_id", "content_hash", "is_deleted")
        return {(tid, ext): (pid, digest, deleted) for pid, tid, ext, digest, deleted in rows}

    def upsert_posts(self, rows: list[PostRow], *, replaced: dict[int, tuple[int, str]]) -> None:
        """Insert or overwrite ``rows`` (unique keys). ``replaced`` maps the ids of stored posts
        among them to their keys: a body they lose is kept as a ``PostRevision``. A post
        written accepted takes the mark from any other post of its thread."""
        # Bodies being replaced, read before the upsert overwrites them.
        old = []
        if replaced:
            old = list(Post.objects.filter(pk__in=list(replaced)).values_list("id", "body", "edited_at"))
        keep = {(row.thread_id, row.external_id) for row in rows if row.is_accepted}
        if keep:
            # One accepted answer per thread (a database constraint): clear the previous
            # mark first, except on posts about to be written accepted again.
            stale = Post.objects.filter(thread_id__in={tid for tid, _ in keep}, is_accepted=True).values_list(
                "id", "thread_id", "external_id")
            clear = [pid for pid, tid, ext in stale if (tid, ext) not in keep]
            if clear:
                Post.objects.filter(pk__in=clear).update(is_accepted=False)
        Post.objects.bulk_create(
            [Post(body_format=Post.Format.HTML, is_deleted=False, **row._asdict()) for row in rows],
            update_conflicts=True, unique_fields=["thread", "external_id"], update_fields=POST_FIELDS,
        )
        if old:
            new_body = {(row.thread_id, row.external_id): row.body for row in rows}
            revisions = [(pid, body, edited) for pid, body, edited in old if new_body[replaced[pid]] != body]
            if revisions:
                self._keep_revisions(revisions)

    def _keep_revisions(self, revisions: list[tuple[int, str, datetime | None]]) -> None:
        numbers: dict[int, int] = {}
        for post_id, number in PostRevision.objects.filter(
                post_id__in=[r[0] for r in revisions]).values_list("post_id", "number"):
            numbers[post_id] = max(numbers.get(post_id, 0), number)
        PostRevision.objects.bulk_create([
            PostRevision(post_id=pid, number=numbers.get(pid, 0) + 1, body=body, editor_name=REVISION_EDITOR,
                         reason=REVISION_REASON, created_at=edited or timezone.now())
            for pid, body, edited in revisions
        ])

    # -- comments ------------------------------------------------------------------
    def _post_ids(self, external_ids: set[str]) -> dict[str, int]:
        """external id -> id of this source's posts among ``external_ids``.

        Two index lookups rather than one join: without statistics SQLite (and PostgreSQL)
        would start the join from the source's threads and read every post of the source
        for each batch, which made comments the slowest part of a large harvest.
        """
        found = Post.objects.filter(external_id__in=external_ids).values_list("external_id", "id", "thread_id")
        found = list(found)
        ours = set(Thread.objects.filter(pk__in={tid for _, _, tid in found}, source=self.source)
                   .values_list("id", flat=True))
        return {ext: pid for ext, pid, tid in found if tid in ours}

    def upsert_comments(self, rows: list[CommentRow]) -> None:
        """Insert new comments, overwrite those whose body changed; skip comments on posts
        this source does not hold (deleted, or a wiki post)."""
        post_ids = self._post_ids({row.post_external_id for row in rows})
        existing = {
            (post_id, ext): body
            for post_id, ext, body in Comment.objects.filter(
                post_id__in=post_ids.values(), external_id__in={r.external_id for r in rows}
            ).values_list("post_id", "external_id", "body")
        }
        written = []
        for row in rows:
            pid = post_ids.get(row.post_external_id)
            if pid is None or existing.get((pid, row.external_id)) == row.body:
                continue
            written.append(Comment(post_id=pid, external_id=row.external_id, body=row.body,
                                   author_name=row.author_name, score=row.score, created_at=row.created_at))
        if written:
            Comment.objects.bulk_create(written, update_conflicts=True, unique_fields=["post", "external_id"],
                                        update_fields=COMMENT_FIELDS)
