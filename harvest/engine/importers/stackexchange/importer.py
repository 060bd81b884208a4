"""Stack Exchange data-dump importer: Posts, Comments and PostLinks to records.

Yields, in file order: one ThreadRecord per question and one PostRecord per
answer (phase "posts"), then CommentRecords (phase "comments"), then LinkRecords
(phase "links"). Each record carries the cursor ``{"phase": …, "last_id": <Id>}``
to resume after it; resuming skips every row up to and including that Id.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from harvest.engine.records import ItemError, Record

from ..archive import DumpError, DumpFiles, open_dump
from .convert import (
    ANSWER, QUESTION, Options, ParsedComment, ParsedPost, answer_record, comment_record,
    parse_comment, parse_post, question_record, row_id,
)
from .links import LinkEntry, duplicate_map, load_links
from .staging import Staging
from .xmlrows import count_rows, iter_rows

PHASES = ("posts", "comments", "links")
_FILES = ("Posts.xml", "Users.xml", "Comments.xml", "PostLinks.xml")
_SKIPPED_ACCEPTED_BATCH = 10_000
USER_FIELDS = ("Id", "DisplayName")  # what ``Staging.load_users`` reads

Item = tuple[Record, "dict | None"]


class _Resume:
    """Decides which rows of one file were already handled before the checkpoint.

    Rows are sorted by Id. A row without a valid Id is re-yielded only if it comes
    after the checkpoint row, i.e. once a valid Id >= the checkpoint has been seen.
    """

    def __init__(self, last_id: int | None) -> None:
        self.last_id = last_id
        self.max_seen: int | None = None

    def skip(self, row_id: int) -> bool:
        self.max_seen = row_id if self.max_seen is None else max(self.max_seen, row_id)
        return self.last_id is not None and row_id <= self.last_id

    def skip_unidentified(self) -> bool:
        return self.last_id is not None and (self.max_seen is None or self.max_seen < self.last_id)


def _resume_point(checkpoint: dict | None) -> tuple[int, int | None]:
    """(index of the phase to start in, last Id handled in it) from a cursor."""
    if not checkpoint:
        return 0, None
    phase, last_id = checkpoint.get("phase"), checkpoint.get("last_id")
    if phase not in PHASES or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise ValueError(f"not a Stack Exchange dump cursor: {checkpoint!r}")
    return PHASES.index(phase), last_id


class StackExchangeDumpImporter:
    """Import one site's data dump (folder, .7z, .zip, .tar.gz or .gz).

    ``site_url`` (e.g. ``https://beer.stackexchange.com``) builds thread and answer
    URLs; without it URLs stay empty. ``license_default`` is used for posts whose
    row has no ``ContentLicense`` (older dumps), instead of the licence Stack
    Exchange applied on the post's date. ``batch_hint`` is how many rows share one
    user-name lookup; memory grows with it, not with the dump.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        site_url: str = "",
        license_default: str = "",
        batch_hint: int = 1000,
    ) -> None:
        if batch_hint < 1:
            raise ValueError("batch_hint must be at least 1")
        self.path = Path(path)
        self.options = Options(site_url=site_url.rstrip("/"), license_default=license_default)
        self.batch_hint = batch_hint
        # True once iter_records read Posts.xml and Comments.xml to their ends without damage;
        # only then may the run treat what it did not see as deleted.
        self.read_to_end = False
        self._damaged = False

    def iter_records(self, checkpoint: dict | None = None) -> Iterator[Item]:
        """Yield ``(record, cursor)`` pairs; see the module docstring for the order.

        Raises DumpError before yielding anything when the dump cannot be opened or
        has no Posts.xml; ValueError for a cursor this importer did not produce.
        Bad rows and damaged files later on come out as ItemError records instead.
        """
        start_phase, last_id = _resume_point(checkpoint)
        self.read_to_end, self._damaged = False, False
        with open_dump(self.path, wanted=_FILES) as dump:
            if not dump.has("Posts.xml"):
                found = ", ".join(sorted(dump.names())) or "no XML files"
                raise DumpError(f"Posts.xml not found in {self.path.name} (found: {found})")
            # Opening Posts.xml now makes an unreadable archive fail before any yield.
            dump.open("Posts.xml").close()
            links = load_links(dump)
            with Staging() as staging:
                if dump.has("Users.xml") and start_phase < 2:  # links need no names
                    user_errors = self._stage_users(dump, staging)
                    if checkpoint is None:
                        # Problems in Users.xml are not resume points; report them on
                        # the first run only, not again on every resume.
                        yield from ((error, None) for error in user_errors)
                if start_phase == 0:
                    with dump.open("Posts.xml") as stream:
                        yield from self._posts(stream, staging, duplicate_map(links), _Resume(last_id))
                if start_phase <= 1 and dump.has("Comments.xml"):
                    resume = _Resume(last_id if start_phase == 1 else None)
                    yield from self._comments(dump, staging, resume)
            yield from self._links(links, _Resume(last_id if start_phase == 2 else None))
        self.read_to_end = not self._damaged

    # -- users ---------------------------------------------------------------
    def _stage_users(self, dump: DumpFiles, staging: Staging) -> list[ItemError]:
        try:
            with dump.open("Users.xml") as stream:
                return list(staging.load_users(iter_rows(stream, file_name="Users.xml", fields=USER_FIELDS)))
        except DumpError as exc:
            return [ItemError(item="Users.xml", message=str(exc))]

    # -- posts ---------------------------------------------------------------
    def _posts(self, stream, staging: Staging, duplicates: dict[str, str], resume: _Resume) -> Iterator[Item]:
        batch: list[ParsedPost | Item] = []
        skipped_accepted: list[int] = []
        for number, row in enumerate(iter_rows(stream, file_name="Posts.xml"), start=1):
            if isinstance(row, ItemError):
                self._damaged = True
                yield from self._flush_posts(batch, staging, duplicates)
                yield row, None
                return
            try:
                post_id = row_id(row)
            except ValueError as exc:
                if not resume.skip_unidentified():
                    raw = row.get("Id", "")
                    item = f"Posts.xml row Id={raw}" if raw else f"Posts.xml row Id=(none), row #{number}"
                    batch.append((ItemError(item=item, message=str(exc)), None))
                continue
            if resume.skip(post_id):
                # The answers after the checkpoint still need to know they are accepted.
                accepted = row.get("AcceptedAnswerId", "")
                if row.get("PostTypeId") == "1" and accepted.isdigit():
                    skipped_accepted.append(int(accepted))
                    if len(skipped_accepted) >= _SKIPPED_ACCEPTED_BATCH:
                        staging.add_accepted(skipped_accepted)
                        skipped_accepted = []
                continue
            if skipped_accepted:
                staging.add_accepted(skipped_accepted)
                skipped_accepted = []
            cursor = {"phase": "posts", "last_id": post_id}
            try:
                post = parse_post(row, post_id=post_id)
            except ValueError as exc:
                batch.append((ItemError(item=f"Posts.xml row Id={post_id}", message=str(exc)), cursor))
                continue
            if post.post_type not in (QUESTION, ANSWER):
                continue  # tag wikis, excerpts, nominations: not Q&A content
            batch.append(post)
            if len(batch) >= self.batch_hint:
                yield from self._flush_posts(batch, staging, duplicates)
                batch = []
        yield from self._flush_posts(batch, staging, duplicates)

    def _flush_posts(
        self, batch: list[ParsedPost | Item], staging: Staging, duplicates: dict[str, str]
    ) -> Iterator[Item]:
        posts = [item for item in batch if isinstance(item, ParsedPost)]
        # Questions first: an answer in the same batch as its question must see it.
        staging.add_accepted(p.accepted_answer_id for p in posts
                             if p.post_type == QUESTION and p.accepted_answer_id)
        accepted = staging.accepted_among(p.row_id for p in posts if p.post_type == ANSWER)
        names = staging.user_names(p.owner_id for p in posts
                                   if p.owner_id is not None and not p.row.get("OwnerDisplayName"))
        for item in batch:
            if not isinstance(item, ParsedPost):
                yield item
                continue
            cursor = {"phase": "posts", "last_id": item.row_id}
            if item.post_type == QUESTION:
                record = question_record(item, names=names, options=self.options,
                                         duplicate_of=duplicates.get(str(item.row_id), ""))
            else:
                record = answer_record(item, names=names, options=self.options,
                                       is_accepted=item.row_id in accepted)
            yield record, cursor

    # -- comments ------------------------------------------------------------
    def _comments(self, dump: DumpFiles, staging: Staging, resume: _Resume) -> Iterator[Item]:
        try:
            stream = dump.open("Comments.xml")
        except DumpError as exc:
            self._damaged = True
            yield ItemError(item="Comments.xml", message=str(exc)), None
            return
        with stream:
            batch: list[ParsedComment | Item] = []
            for number, row in enumerate(iter_rows(stream, file_name="Comments.xml"), start=1):
                if isinstance(row, ItemError):
                    self._damaged = True
                    batch.append((row, None))
                    break
                try:
                    comment_id = row_id(row)
                except ValueError as exc:
                    if not resume.skip_unidentified():
                        batch.append((ItemError(item=f"Comments.xml row #{number}", message=str(exc)), None))
                    continue
                if resume.skip(comment_id):
                    continue
                try:
                    batch.append(parse_comment(row, comment_id=comment_id))
                except ValueError as exc:
                    cursor = {"phase": "comments", "last_id": comment_id}
                    batch.append((ItemError(item=f"Comments.xml row Id={comment_id}", message=str(exc)), cursor))
                if len(batch) >= self.batch_hint:
                    yield from self._flush_comments(batch, staging)
                    batch = []
            yield from self._flush_comments(batch, staging)

    def _flush_comments(self, batch: list[ParsedComment | Item], staging: Staging) -> Iterator[Item]:
        names = staging.user_names(c.user_id for c in batch if isinstance(c, ParsedComment)
                                   and c.user_id is not None and not c.row.get("UserDisplayName"))
        for item in batch:
            if isinstance(item, ParsedComment):
                yield comment_record(item, names=names), {"phase": "comments", "last_id": item.row_id}
            else:
                yield item

    # -- links ---------------------------------------------------------------
    def _links(self, entries: list[LinkEntry], resume: _Resume) -> Iterator[Item]:
        for entry in entries:
            if entry.row_id is None:
                if not resume.skip_unidentified():
                    yield entry.record, None
            elif not resume.skip(entry.row_id):
                yield entry.record, {"phase": "links", "last_id": entry.row_id}


def count_posts(path: str | os.PathLike[str]) -> int:
    """Number of rows in the dump's Posts.xml (every post type), counted without
    parsing XML: a fast total for progress bars. Raises DumpError like the importer."""
    with open_dump(path, wanted={"Posts.xml"}) as dump:
        if not dump.has("Posts.xml"):
            raise DumpError(f"Posts.xml not found in {Path(path).name}")
        with dump.open("Posts.xml") as stream:
            return count_rows(stream)
