"""Crawl an HTML forum's thread list and yield one complete ``ThreadRecord`` per thread.

Cursor (JSON, saved by the caller with each stored record)::

    {"list_url": "<URL of the thread-list page being processed>",
     "done": ["<external ids of threads on that page already yielded>"]}

A run resumes at ``list_url`` and skips the threads in ``done``, so a killed run
neither redoes nor loses threads. Threads that failed (``ItemError``) count as done:
retrying them forever would stall the run; the error is recorded instead. When a
list page is finished, the next record carries ``{"list_url": <next page>, "done": []}``.

Limits: lists sorted by activity shift while we crawl, so a thread can move to a
page already processed (it is picked up by the next run). With conditional GET
(``client.validators``), a thread whose first page answers 304 is skipped as
unchanged, even if a reply landed on a later page.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harvest.engine.http import FetchError, PageCapReached
from harvest.engine.records import DeletedRecord, ItemError, Record

from .parse import (
    ParseError,
    ThreadPage,
    canonical_url,
    merge_pages,
    parse_thread_list,
    parse_thread_page,
    thread_external_id,
)
from .presets import Preset, get_preset

__all__ = ["HtmlForumImporter"]

_GONE = (404, 410)


class _StopRun(Exception):
    """The client refuses further pages (page cap): end the run, keep the cursor."""


class HtmlForumImporter:
    """Harvest threads from ``start_url`` (a forum's thread list) with a preset.

    ``client`` is a ``harvest.engine.http.PoliteClient`` (anything with ``get(url)`` returning
    ``status``/``text``/``not_modified``); robots.txt, delays and the page cap are
    its business. ``max_threads`` caps threads *yielded* per run (None: all).
    """

    def __init__(
        self,
        start_url: str,
        *,
        client: Any,
        preset: Preset | str,
        max_threads: int | None = None,
        max_pages_per_thread: int = 50,
        license: str = "",
    ) -> None:
        self.start_url = start_url
        self.client = client
        self.preset = get_preset(preset)
        self.max_threads = max_threads
        self.max_pages_per_thread = max_pages_per_thread
        self.license = license
        # True once a run followed the thread list to its last page with nothing cut short;
        # only then may the run apply the deletions it met.
        self.read_to_end = False

    def iter_records(self, checkpoint: Any = None) -> Iterator[tuple[Record, dict | None]]:
        """Yield ``(record, cursor)``: ThreadRecord, DeletedRecord or ItemError.

        ``checkpoint`` is a cursor dict (see module docstring), an object with a
        ``cursor`` attribute (``harvest.engine.records.Checkpoint``), or None to start over.
        """
        cursor = getattr(checkpoint, "cursor", checkpoint) or {}
        self.read_to_end = False
        list_url = cursor.get("list_url") or self.start_url
        done = list(cursor.get("done") or [])
        yielded = 0
        visited_lists: set[str] = set()
        while list_url and list_url not in visited_lists:
            visited_lists.add(list_url)
            try:
                listing = self._fetch_list(list_url)
            except _StopRun:
                return
            except (FetchError, ParseError) as exc:
                # Without this page we cannot find the next one: record and stop here.
                yield ItemError(item=list_url, message=str(exc)), None
                return
            if listing is None:
                return
            for thread_url in listing.thread_urls:
                thread_id = thread_external_id(thread_url, preset=self.preset)
                if thread_id in done:
                    continue
                if self.max_threads is not None and yielded >= self.max_threads:
                    return
                try:
                    record = self._harvest_thread(thread_url, thread_id)
                except _StopRun as exc:
                    # Not a safe resume point: the thread must be fetched next run.
                    yield ItemError(item=thread_url, message=str(exc)), None
                    return
                done.append(thread_id)
                if record is None:
                    continue
                yielded += 1
                yield record, {"list_url": list_url, "done": list(done)}
            list_url = listing.next_url
            done = []
        self.read_to_end = True

    def fetch_item(self, item: str) -> list[Record]:
        """The records of one item a run reported failed (a thread URL), fetched again.

        ``ValueError`` when ``item`` is not a thread of this forum (a thread-list page is
        retried by running the source again).
        """
        if item.split("?")[0] == self.start_url.split("?")[0] or "://" not in item:
            raise ValueError("only a thread page can be retried on its own; run the source again")
        try:
            record = self._harvest_thread(item, thread_external_id(item, preset=self.preset))
        except _StopRun as exc:
            return [ItemError(item=item, message=str(exc))]
        return [record] if record is not None else []

    # -- steps -------------------------------------------------------------

    def _fetch_list(self, url: str):
        # A thread list's links are needed even when unchanged, so never ask for 304.
        validators = getattr(self.client, "validators", None)
        if validators is not None:
            validators.pop(url, None)
        result = self._get(url)
        if result.status in _GONE:
            raise ParseError(f"thread list page answered HTTP {result.status}: {url}")
        return parse_thread_list(result.text, url=url, preset=self.preset)

    def _harvest_thread(self, url: str, thread_id: str) -> Record | None:
        """Fetch every page of one thread; errors become ItemError, 404 DeletedRecord."""
        pages: list[ThreadPage] = []
        seen: set[str] = set()
        page_url: str | None = url
        complete = True
        try:
            while page_url and page_url not in seen:
                if len(pages) >= self.max_pages_per_thread:
                    complete = False
                    break
                seen.add(page_url)
                result = self._get(page_url)
                if result.status in _GONE:
                    if not pages:
                        return DeletedRecord(thread_external_id=thread_id, reason=f"HTTP {result.status} at {url}")
                    # A later page vanished mid-crawl (posts deleted): keep what we have.
                    complete = False
                    break
                if result.not_modified:
                    if not pages:
                        return None  # unchanged since the last run
                    complete = False
                    break
                pages.append(parse_thread_page(result.text, url=page_url, preset=self.preset))
                page_url = pages[-1].next_url
        except (FetchError, ParseError) as exc:
            return ItemError(item=url, message=str(exc))
        # The thread's id is the one from the list's link, whatever page URLs look like.
        first = pages[0]
        pages[0] = ThreadPage(
            title=first.title,
            posts=first.posts,
            next_url=first.next_url,
            url=canonical_url(url, preset=self.preset),
            external_id=thread_id,
            tags=first.tags,
        )
        return merge_pages(pages, license=self.license, complete=complete)

    def _get(self, url: str):
        try:
            return self.client.get(url)
        except PageCapReached as exc:
            raise _StopRun(str(exc)) from exc
