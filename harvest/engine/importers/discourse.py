"""Discourse importer: ``/latest.json`` (or category listings) -> ``ThreadRecord`` per topic.

Reads listings page by page, newest activity first (``bumped_at``), fetches each
topic with ``/t/{id}.json`` and the posts beyond the first 20 with
``/t/{id}/posts.json?post_ids[]=…`` in chunks of 20, and yields one complete
``ThreadRecord`` per topic. Pure apart from the injected ``PoliteClient``.

Cursor (``Checkpoint.cursor``)::

    {"since": "2026-03-01T09:00:00+00:00"}                    # after a completed run
    {"since": ..., "pending_since": ..., "resume_below": ...}  # in the middle of a run

* ``since``: newest topic activity seen in the last *completed* run. Listings are
  read until a (non-pinned) topic whose activity is ``<= since``.
* ``pending_since``: newest activity seen by the run in progress; it becomes
  ``since`` only with the run's last record, so a run killed midway keeps the old
  ``since`` and lists again every topic that changed after it.
* ``resume_below``: activity of the last non-pinned topic this run finished.
  Topics are met in descending activity, so every topic whose activity lies in
  ``(resume_below, pending_since]`` was already stored by the interrupted run and
  is skipped on resume; a topic bumped since then has activity above
  ``pending_since`` and is fetched again. Nothing is lost; at worst the topic at
  ``resume_below`` itself is fetched twice (stores upsert).

The importer holds each record back until the next one is ready, so the final
``{"since": pending}`` cursor travels with the run's last record. Records that are
not safe resume points (an ``ItemError`` about a posts chunk) carry ``None``.

Errors: a topic 404/410 -> ``DeletedRecord``; bad JSON or a failed fetch ->
``ItemError(item=url)`` and the run goes on; a bad listing page ends the run as
incomplete (``since`` unchanged). ``PageCapReached`` and ``RateLimited`` end the
run: the held record is yielded first, then the exception propagates.
"""
from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bs4 import BeautifulSoup

from harvest.engine.http import FetchError, PageCapReached, PoliteClient, RateLimited
from harvest.engine.records import Checkpoint, DeletedRecord, ItemError, PostRecord, Record, ThreadRecord

__all__ = ["DiscourseImporter", "parse_topic", "parse_listing", "POSTS_CHUNK"]

POSTS_CHUNK = 20  # Discourse's own chunk_size for post_stream
_REGULAR_POST = 1  # post_type 2/3/4 are moderator notices, small actions ("closed"), whispers
_LIKE_ACTION = 2
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)
_GONE = (404, 410)


def _dt(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _likes(post: dict) -> int:
    for action in post.get("actions_summary") or ():
        if action.get("id") == _LIKE_ACTION:
            return int(action.get("count") or 0)
    return int(post.get("like_count") or 0)


def _tags(raw: Any) -> tuple[str, ...]:
    # Discourse 3.x may send tags as {"id", "name", "slug"} objects instead of strings.
    names = []
    for tag in raw or ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if name:
            names.append(str(name))
    return tuple(names)


def strip_quotes(cooked: str) -> str:
    """Remove ``aside.quote`` blocks (quoted earlier posts); oneboxes stay."""
    if "quote" not in cooked or "<aside" not in cooked:
        return cooked
    soup = BeautifulSoup(cooked, "html.parser")
    for aside in soup.select("aside.quote"):
        aside.decompose()
    return str(soup).strip()


def _activity(topic: dict) -> datetime | None:
    return _dt(topic.get("bumped_at")) or _dt(topic.get("last_posted_at")) or _dt(topic.get("created_at"))


def parse_listing(data: dict) -> tuple[list[dict], str | None]:
    """Topics of one listing page and the next page's path (``more_topics_url``) or None.

    Precondition: ``data`` is a decoded ``/latest.json``-shaped response; raises
    ``ValueError`` when it has no ``topic_list``.
    """
    topic_list = data.get("topic_list") if isinstance(data, dict) else None
    if not isinstance(topic_list, dict):
        raise ValueError("no topic_list in listing response")
    topics = [t for t in topic_list.get("topics") or () if isinstance(t, dict) and "id" in t]
    return topics, topic_list.get("more_topics_url") or None


def parse_topic(
    data: dict, *, base_url: str, extra_posts: Sequence[dict] = (), license: str = ""
) -> ThreadRecord:
    """A ``/t/{id}.json`` response (plus posts fetched separately) as a ``ThreadRecord``.

    Precondition: ``data`` is a decoded topic response with ``id`` and ``post_stream``
    (raises ``ValueError`` otherwise). Only regular, undeleted posts are kept, in
    ``post_number`` order; ``posts[0]`` is the question when post 1 is present.
    ``complete`` is True when every id of ``post_stream.stream`` was seen.
    """
    if not isinstance(data, dict) or "id" not in data or not isinstance(data.get("post_stream"), dict):
        raise ValueError("not a Discourse topic response (no id/post_stream)")
    base = base_url.rstrip("/")
    topic_id, slug = data["id"], data.get("slug") or "topic"
    by_id = {p["id"]: p for p in [*(data["post_stream"].get("posts") or ()), *extra_posts] if "id" in p}
    stream = data["post_stream"].get("stream") or list(by_id)
    complete = all(pid in by_id for pid in stream)

    topic_accepted = data.get("accepted_answer")
    accepted_number = topic_accepted.get("post_number") if isinstance(topic_accepted, dict) else None
    posts, accepted_id = [], ""
    for raw in sorted(by_id.values(), key=lambda p: p.get("post_number") or 0):
        if (raw.get("post_type") or _REGULAR_POST) != _REGULAR_POST:
            continue
        if raw.get("deleted_at") or raw.get("user_deleted") or raw.get("hidden"):
            continue
        number = raw.get("post_number")
        is_accepted = number != 1 and (raw.get("accepted_answer") is True or number == accepted_number)
        created, updated = _dt(raw.get("created_at")), _dt(raw.get("updated_at"))
        post = PostRecord(
            external_id=str(raw["id"]),
            body_html=strip_quotes(raw.get("cooked") or ""),
            author_name=raw.get("name") or raw.get("username") or "",
            author_external_id=str(raw["user_id"]) if raw.get("user_id") is not None else "",
            created_at=created,
            edited_at=updated if updated and created and updated > created else None,
            score=_likes(raw),
            is_question=number == 1,
            is_accepted=is_accepted,
            url=f"{base}/t/{slug}/{topic_id}/{number}",
            thread_external_id=str(topic_id),
        )
        if is_accepted and not accepted_id:
            accepted_id = post.external_id
        posts.append(post)

    question = posts[0] if posts and posts[0].is_question else None
    creator = (data.get("details") or {}).get("created_by") or {}
    closed_reason = "archived" if data.get("archived") else "closed" if data.get("closed") else ""
    replies = len(posts) - (1 if question else 0)
    return ThreadRecord(
        external_id=str(topic_id),
        title=data.get("title") or data.get("fancy_title") or "",
        url=f"{base}/t/{slug}/{topic_id}",
        posts=tuple(posts),
        tags=_tags(data.get("tags")),
        author_name=(question.author_name if question else "") or creator.get("name") or creator.get("username") or "",
        created_at=_dt(data.get("created_at")),
        last_activity_at=_dt(data.get("last_posted_at")) or _dt(data.get("bumped_at")),
        score=question.score if question else 0,
        view_count=int(data.get("views") or 0),
        answer_count=replies if complete else max(0, int(data.get("posts_count") or 1) - 1),
        accepted_post_external_id=accepted_id,
        is_closed=bool(closed_reason),
        closed_reason=closed_reason,
        license=license,
        complete=complete,
    )


def _json_path(path: str) -> str:
    """``/latest?page=1`` -> ``/latest.json?page=1`` (more_topics_url omits .json)."""
    parts = urlsplit(path)
    route = parts.path if parts.path.endswith(".json") else parts.path.rstrip("/") + ".json"
    return urlunsplit(("", "", route, parts.query, ""))


class DiscourseImporter:
    """Incremental harvester of one Discourse site. See the module docstring for the cursor.

    ``categories`` entries are ``"slug/id"`` (or a bare id); empty means ``/latest.json``.
    ``max_topics`` caps topic fetches per run; a capped run resumes where it stopped.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client: PoliteClient,
        api_key: str = "",
        api_username: str = "",
        categories: Sequence[str] = (),
        license: str = "",
        max_topics: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.categories = tuple(categories)
        self.license = license
        self.max_topics = max_topics
        self.headers = {"Accept": "application/json"}
        # True once a run listed every topic changed since ``since`` (no cap, no unreadable
        # listing page); only then may the run apply the deletions it met.
        self.read_to_end = False
        if api_key:
            self.headers.update({"Api-Key": api_key, "Api-Username": api_username or "system"})

    # -- fetching ------------------------------------------------------
    def _get(self, path_or_url: str, *, params: dict | None = None):
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        return self.client.get(url, headers=self.headers, params=params)

    @staticmethod
    def _json(result) -> Any:
        """The response's JSON; a 404/410 (which the client returns instead of raising) is
        reported as "not found" with its status, not as the JSON error its HTML body gives."""
        if result.status in _GONE:
            raise FetchError(result.url, result.status, "not found")
        return result.json()

    def _listing_paths(self) -> list[str]:
        if not self.categories:
            return ["/latest.json"]
        return [f"/c/{c.strip('/')}.json" for c in self.categories]

    def _listing(self, path: str, since: datetime, errors: list[ItemError]) -> Iterator[tuple[tuple, dict]]:
        """Topics of one listing newer than ``since``, keyed for a descending merge."""
        next_path: str | None = path
        while next_path:
            url = self.base_url + next_path
            try:
                topics, more = parse_listing(self._json(self._get(url)))
            except (PageCapReached, RateLimited):
                raise
            except (FetchError, ValueError) as exc:
                errors.append(ItemError(item=url, message=f"listing page unreadable: {exc}"))
                return
            for topic in topics:
                activity = _activity(topic) or _EPOCH
                pinned = bool(topic.get("pinned") or topic.get("pinned_globally"))
                if activity <= since:
                    if pinned:
                        continue  # pinned topics head page 1 whatever their age
                    return
                yield (0 if pinned else 1, -activity.timestamp()), topic
            next_path = _json_path(more) if more else None

    def _fetch_thread(self, topic_id: int) -> Iterator[Record]:
        url = f"{self.base_url}/t/{topic_id}.json"
        try:
            result = self._get(url)
            if result.status in _GONE:
                yield DeletedRecord(thread_external_id=str(topic_id), reason=f"HTTP {result.status} at {url}")
                return
            data = result.json()
            if not isinstance(data, dict) or not isinstance(data.get("post_stream"), dict):
                raise ValueError("response has no post_stream")
        except (PageCapReached, RateLimited):
            raise
        except (FetchError, ValueError) as exc:
            yield ItemError(item=url, message=f"topic unreadable: {exc}")
            return
        included = {p.get("id") for p in data["post_stream"].get("posts") or ()}
        missing = [pid for pid in data["post_stream"].get("stream") or () if pid not in included]
        extra: list[dict] = []
        for start in range(0, len(missing), POSTS_CHUNK):
            chunk = missing[start : start + POSTS_CHUNK]
            posts_url = f"{self.base_url}/t/{topic_id}/posts.json"
            try:
                page = self._json(self._get(posts_url, params={"post_ids[]": chunk}))
                extra.extend(page["post_stream"]["posts"])
            except (PageCapReached, RateLimited):
                raise
            except (FetchError, ValueError, KeyError, TypeError) as exc:
                # Keep what we have; complete=False stops the store deleting unseen posts.
                yield ItemError(item=f"{posts_url}?post_ids={chunk[0]}..{chunk[-1]}", message=f"posts unreadable: {exc}")
        yield parse_topic(data, base_url=self.base_url, extra_posts=extra, license=self.license)

    def fetch_item(self, item: str) -> list[Record]:
        """The records of one topic a run reported failed (``…/t/<id>.json``), fetched again.

        ``ValueError`` when ``item`` is not a topic URL of this forum (a listing page is
        retried by running the source again).
        """
        match = re.fullmatch(re.escape(self.base_url) + r"/t/(\d+)(?:/posts)?\.json(?:\?.*)?", item)
        if match is None:
            raise ValueError("only a topic can be retried on its own; run the source again")
        return list(self._fetch_thread(int(match.group(1))))

    # -- the run -----------------------------------------------------------
    def iter_records(self, checkpoint: Checkpoint | dict | None) -> Iterator[tuple[Record, dict | None]]:
        """Yield ``(record, cursor)`` pairs; store the record, then save the cursor if not None."""
        cursor = checkpoint.cursor if isinstance(checkpoint, Checkpoint) else dict(checkpoint or {})
        self.read_to_end = False
        since = _dt(cursor.get("since")) or _EPOCH
        high = max(since, _dt(cursor.get("pending_since")) or _EPOCH)
        skip_low, skip_top = _dt(cursor.get("resume_below")), _dt(cursor.get("pending_since"))
        errors: list[ItemError] = []  # listing failures, reported by the listing generators
        reported = 0
        streams = [self._listing(path, since, errors) for path in self._listing_paths()]
        held: tuple[Record, dict | None] | None = None
        resume_below: datetime | None = None
        fetched, seen, capped = 0, set(), False
        try:
            for (pinned_rank, _), topic in heapq.merge(*streams, key=lambda item: item[0]):
                for error in errors[reported:]:
                    if held is not None:
                        yield held
                    held = (error, None)
                reported = len(errors)
                topic_id, activity = topic["id"], _activity(topic) or _EPOCH
                if topic_id in seen:
                    continue  # shifted onto the next page by a bump while we paged
                seen.add(topic_id)
                high = max(high, activity)
                if skip_low is not None and skip_top is not None and skip_low < activity <= skip_top:
                    continue  # stored by the interrupted run this one resumes
                if self.max_topics is not None and fetched >= self.max_topics:
                    capped = True
                    break
                fetched += 1
                records = list(self._fetch_thread(topic_id))
                if pinned_rank == 1:
                    resume_below = activity
                state = {"since": _iso(since), "pending_since": _iso(high)}
                if resume_below is not None:
                    state["resume_below"] = _iso(resume_below)
                for i, record in enumerate(records):
                    if held is not None:
                        yield held
                    held = (record, state if i == len(records) - 1 else None)
        except (PageCapReached, RateLimited):
            if held is not None:
                yield held
            raise
        for error in errors[reported:]:
            if held is not None:
                yield held
            held = (error, None)
        finished = not capped and not errors
        if held is not None:
            record, last_cursor = held
            yield record, ({"since": _iso(high)} if finished else last_cursor)
        self.read_to_end = finished


def _iso(value: datetime) -> str | None:
    return None if value == _EPOCH else value.isoformat()
