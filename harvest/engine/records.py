"""Normalized, ORM-free records that every importer produces.

Importers turn bytes (dump files, JSON, HTML pages) into these plain dataclasses;
``harvest.store`` upserts them into the shared thread/post tables. Community
questions created in Gleaner itself have the same shape in the database, so
search and clustering treat both alike.

Bodies are raw HTML as the source gave them (after the importer removed quotes,
signatures and page chrome); the store sanitizes with nh3 before anything is saved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Union

LinkKind = Literal["duplicate", "related"]


@dataclass(frozen=True, slots=True)
class CommentRecord:
    external_id: str
    post_external_id: str
    body: str  # plain text or HTML
    author_name: str = ""
    created_at: datetime | None = None
    score: int = 0


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One post: the question (``is_question``) or an answer/reply.

    ``thread_external_id`` is required when the post is emitted on its own (Stack
    Exchange answers stream separately from their questions); inside
    ``ThreadRecord.posts`` it may be left empty.
    """

    external_id: str
    body_html: str
    author_name: str = ""
    created_at: datetime | None = None
    edited_at: datetime | None = None
    score: int = 0
    is_question: bool = False
    is_accepted: bool = False
    url: str = ""
    thread_external_id: str = ""
    author_external_id: str = ""
    comments: tuple[CommentRecord, ...] = ()
    license: str = ""  # when the source licenses posts one by one (Stack Exchange by date)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link between two threads of one source (Stack Exchange PostLinks)."""

    from_external_id: str  # the duplicate (or linking) thread
    to_external_id: str  # the original (or linked) thread
    kind: LinkKind


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """A whole thread. ``posts[0]`` is the question when posts are given."""

    external_id: str
    title: str
    url: str = ""
    posts: tuple[PostRecord, ...] = ()
    tags: tuple[str, ...] = ()
    author_name: str = ""
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    score: int = 0
    view_count: int = 0
    answer_count: int | None = None
    accepted_post_external_id: str = ""  # set when the accepted answer may arrive later
    is_closed: bool = False
    closed_reason: str = ""
    duplicate_of_external_id: str = ""
    license: str = ""
    # True when the importer saw the whole thread (every post); the store then marks
    # posts it already holds but did not see as deleted at the source.
    complete: bool = True


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """The source says this thread is gone (404 on a thread page, deleted flag)."""

    thread_external_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ItemError:
    """An item the importer could not read. The run records it and goes on."""

    item: str  # what it was: a URL, "Posts.xml row Id=123", a file name
    message: str


Record = Union[ThreadRecord, PostRecord, CommentRecord, LinkRecord, DeletedRecord, ItemError]


@dataclass(slots=True)
class Checkpoint:
    """Where an importer is in its source; saved with each stored batch.

    ``cursor`` is importer-specific and JSON-serialisable (the last Posts.xml Id
    read, the Discourse listing page and last activity time, the HTML page URL).
    """

    cursor: dict = field(default_factory=dict)
