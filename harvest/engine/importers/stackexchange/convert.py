"""Turn parsed dump rows into ``harvest.engine.records``.

Conversion happens in two steps so names can be looked up in batches: ``parse_*``
validates one row into a small dataclass (raising ValueError on bad data), then
``*_record`` builds the record once the batch's user names are known.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from harvest.engine.records import CommentRecord, PostRecord, ThreadRecord

from .xmlrows import license_for, parse_date, parse_int, parse_tags

QUESTION = 1
ANSWER = 2


@dataclass(frozen=True, slots=True)
class Options:
    site_url: str = ""
    license_default: str = ""


@dataclass(slots=True)
class ParsedPost:
    row_id: int
    post_type: int
    row: dict[str, str]
    created_at: datetime
    edited_at: datetime | None
    last_activity_at: datetime | None
    closed_at: datetime | None
    owner_id: int | None
    parent_id: int | None
    accepted_answer_id: int | None
    score: int
    view_count: int
    answer_count: int | None


@dataclass(slots=True)
class ParsedComment:
    row_id: int
    post_id: int
    row: dict[str, str]
    created_at: datetime
    user_id: int | None
    score: int


def row_id(row: dict[str, str]) -> int:
    """The row's ``Id``; ValueError when missing or not an integer."""
    raw = row.get("Id")
    if raw is None or raw.strip() == "":
        raise ValueError("missing Id")
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"invalid Id {raw!r}") from None


def parse_post(row: dict[str, str], *, post_id: int) -> ParsedPost:
    """Validate a Posts.xml row whose Id is already known. Any PostTypeId is accepted."""
    post_type = parse_int(row.get("PostTypeId"), field="PostTypeId")
    if post_type is None:
        raise ValueError("missing PostTypeId")
    created_at = parse_date(row.get("CreationDate"), field="CreationDate")
    if created_at is None:
        raise ValueError("missing CreationDate")
    parent_id = parse_int(row.get("ParentId"), field="ParentId")
    if post_type == ANSWER and parent_id is None:
        raise ValueError("answer without ParentId")
    return ParsedPost(
        row_id=post_id,
        post_type=post_type,
        row=row,
        created_at=created_at,
        edited_at=parse_date(row.get("LastEditDate"), field="LastEditDate"),
        last_activity_at=parse_date(row.get("LastActivityDate"), field="LastActivityDate"),
        closed_at=parse_date(row.get("ClosedDate"), field="ClosedDate"),
        owner_id=parse_int(row.get("OwnerUserId"), field="OwnerUserId"),
        parent_id=parent_id,
        accepted_answer_id=parse_int(row.get("AcceptedAnswerId"), field="AcceptedAnswerId"),
        score=parse_int(row.get("Score"), field="Score") or 0,
        view_count=parse_int(row.get("ViewCount"), field="ViewCount") or 0,
        answer_count=parse_int(row.get("AnswerCount"), field="AnswerCount"),
    )


def parse_comment(row: dict[str, str], *, comment_id: int) -> ParsedComment:
    post_id = parse_int(row.get("PostId"), field="PostId")
    if post_id is None:
        raise ValueError("missing PostId")
    created_at = parse_date(row.get("CreationDate"), field="CreationDate")
    if created_at is None:
        raise ValueError("missing CreationDate")
    return ParsedComment(
        row_id=comment_id,
        post_id=post_id,
        row=row,
        created_at=created_at,
        user_id=parse_int(row.get("UserId"), field="UserId"),
        score=parse_int(row.get("Score"), field="Score") or 0,
    )


def author_name(given: str | None, user_id: int | None, names: dict[int, str]) -> str:
    """Name shown on the site: the row's own name (deleted users), else Users.xml,
    else ``user<Id>`` as Stack Exchange itself shows unknown users, else anonymous."""
    if given and given.strip():
        return given.strip()
    if user_id is not None:
        return names.get(user_id) or f"user{user_id}"
    return "anonymous"


def question_record(
    post: ParsedPost, *, names: dict[int, str], duplicate_of: str, options: Options
) -> ThreadRecord:
    """A thread holding only its question (answers stream separately: complete=False)."""
    row = post.row
    external_id = str(post.row_id)
    url = f"{options.site_url}/questions/{external_id}" if options.site_url else ""
    author = author_name(row.get("OwnerDisplayName"), post.owner_id, names)
    question = PostRecord(
        external_id=external_id,
        body_html=row.get("Body", ""),
        author_name=author,
        created_at=post.created_at,
        edited_at=post.edited_at,
        score=post.score,
        is_question=True,
        url=url,
        thread_external_id=external_id,
        author_external_id=str(post.owner_id) if post.owner_id is not None else "",
        license=_license(post, options),
    )
    is_closed = post.closed_at is not None
    return ThreadRecord(
        external_id=external_id,
        title=row.get("Title", ""),
        url=url,
        posts=(question,),
        tags=parse_tags(row.get("Tags")),
        author_name=author,
        created_at=post.created_at,
        last_activity_at=post.last_activity_at,
        score=post.score,
        view_count=post.view_count,
        answer_count=post.answer_count,
        accepted_post_external_id=str(post.accepted_answer_id) if post.accepted_answer_id else "",
        is_closed=is_closed,
        # Only PostHistory.xml says why a question was closed; a duplicate link is
        # the one reason the files we read can prove.
        closed_reason="duplicate" if is_closed and duplicate_of else "",
        duplicate_of_external_id=duplicate_of,
        license=question.license,
        complete=False,
    )


def _license(post: ParsedPost, options: Options) -> str:
    """Each post's own licence (its row's ``ContentLicense``, else by its date), not the source's."""
    return license_for(post.created_at, content_license=post.row.get("ContentLicense", ""),
                       license_default=options.license_default)


def answer_record(
    post: ParsedPost, *, names: dict[int, str], is_accepted: bool, options: Options
) -> PostRecord:
    external_id = str(post.row_id)
    return PostRecord(
        external_id=external_id,
        body_html=post.row.get("Body", ""),
        author_name=author_name(post.row.get("OwnerDisplayName"), post.owner_id, names),
        created_at=post.created_at,
        edited_at=post.edited_at,
        score=post.score,
        is_question=False,
        is_accepted=is_accepted,
        url=f"{options.site_url}/a/{external_id}" if options.site_url else "",
        thread_external_id=str(post.parent_id),
        author_external_id=str(post.owner_id) if post.owner_id is not None else "",
        license=_license(post, options),
    )


def comment_record(comment: ParsedComment, *, names: dict[int, str]) -> CommentRecord:
    return CommentRecord(
        external_id=str(comment.row_id),
        post_external_id=str(comment.post_id),
        body=comment.row.get("Text", ""),
        author_name=author_name(comment.row.get("UserDisplayName"), comment.user_id, names),
        created_at=comment.created_at,
        score=comment.score,
    )
