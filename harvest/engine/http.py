"""Polite HTTP fetching for importers (robots.txt, per-host delay, retries, conditional GET).

Interface contract used by the Discourse and HTML importers::

    client = PoliteClient(user_agent=..., delay=1.0, timeout=10, max_retries=3,
                          max_pages=500, validators=None)
    result = client.get(url, headers=None)   # -> FetchResult
    result.status, result.url, result.text, result.json(), result.not_modified

``validators`` is a mutable mapping url -> {"etag": ..., "last_modified": ...}
that the caller persists between runs (the Django side stores it on the Source);
when given, GETs are conditional and a 304 comes back as ``not_modified=True``.
Errors raise ``FetchError`` (subclasses: ``RobotsDisallowed``, ``PageCapReached``,
``RateLimited``) with the URL, the status (or None) and a readable message.

**404 and 410 are not errors**: ``get`` returns ``FetchResult(status=404)`` (or 410)
so an importer can turn "gone" into a ``DeletedRecord``. Every other 4xx raises
``FetchError``; 5xx, timeouts and connection errors are retried with exponential
backoff plus jitter, then raise ``FetchError``.

robots.txt follows Google's reading: fetched once per host and run through the same
session; unreachable or 4xx means everything is allowed, 5xx (and 429) means
everything on that host is disallowed for the rest of the run. A ``Crawl-delay``
longer than ``delay`` is honoured.
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests

__all__ = [
    "GLEANER_VERSION",
    "DEFAULT_CONTACT_URL",
    "DEFAULT_USER_AGENT",
    "build_user_agent",
    "FetchResult",
    "FetchError",
    "RobotsDisallowed",
    "PageCapReached",
    "RateLimited",
    "PoliteClient",
]

GLEANER_VERSION = "0.1"
# A placeholder: deployments pass their own contact page (from settings).
DEFAULT_CONTACT_URL = "https://example.org/gleaner-bot"


def build_user_agent(*, version: str = GLEANER_VERSION, contact_url: str = DEFAULT_CONTACT_URL) -> str:
    """``GleanerBot/<version> (+<contact url>)``; robots.txt groups match ``GleanerBot``."""
    return f"GleanerBot/{version} (+{contact_url})"


DEFAULT_USER_AGENT = build_user_agent()

_GONE = (404, 410)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One response. ``url`` is the final URL after redirects."""

    url: str
    status: int
    content: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    not_modified: bool = False
    encoding: str = "utf-8"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:  # a charset name Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Parsed body; raises ``ValueError`` (json.JSONDecodeError) on bad JSON."""
        return json.loads(self.text)


class FetchError(Exception):
    """A fetch that failed for good. ``status`` is None when no response came back."""

    def __init__(self, url: str, status: int | None, message: str) -> None:
        self.url = url
        self.status = status
        self.message = message
        super().__init__(f"{message} ({url}" + (f", HTTP {status})" if status is not None else ")"))


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL for our user agent (or the host's robots.txt 5xx'd)."""


class PageCapReached(FetchError):
    """The client already fetched ``max_pages`` pages in this run."""


class RateLimited(FetchError):
    """The server asked us to wait longer than ``max_wait`` (or kept answering 429)."""

    def __init__(self, url: str, status: int | None, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(url, status, message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _declared_charset(content_type: str) -> str:
    """The charset the server declared, else UTF-8.

    ``requests`` falls back to ISO-8859-1 for text/* without a charset (old RFC 2616
    rule), which garbles the UTF-8 pages forums actually send.
    """
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value.strip('"\' '):
            return value.strip('"\' ')
    return "utf-8"


class PoliteClient:
    """A ``requests`` session that behaves like a well-mannered crawler.

    One client is one run: the page cap, the robots.txt cache and a 5xx robots
    verdict last as long as the client. Safe to share between threads, though
    importers fetch sequentially. ``sleep``, ``clock`` and ``jitter`` are injectable so
    tests can record waits instead of spending them.
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        delay: float = 1.0,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_wait: float = 120.0,
        max_pages: int | None = 500,
        validators: MutableMapping[str, dict] | None = None,
        respect_robots: bool = True,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.user_agent = user_agent
        self.delay = delay
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self.max_pages = max_pages
        self.validators = validators
        self.respect_robots = respect_robots
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        if headers:
            self.session.headers.update(headers)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._robots: dict[str, RobotFileParser] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.RLock()
        self.pages_fetched = 0

    # -- public ------------------------------------------------------------
    def get(self, url: str, *, headers: Mapping[str, str] | None = None, params: Mapping | None = None) -> FetchResult:
        """GET ``url`` politely.

        Returns a ``FetchResult`` for 2xx, 304 (``not_modified=True``), 404 and 410.
        Raises ``RobotsDisallowed``, ``PageCapReached``, ``RateLimited`` or
        ``FetchError`` (other 4xx, or 5xx/timeouts/connection errors after retries).
        """
        url = self._full_url(url, params)
        if self.respect_robots and not self.allowed(url):
            raise RobotsDisallowed(url, None, "robots.txt disallows this URL for " + self.user_agent)
        with self._lock:
            if self.max_pages is not None and self.pages_fetched >= self.max_pages:
                raise PageCapReached(url, None, f"page cap of {self.max_pages} reached for this run")
            self.pages_fetched += 1
        request_headers = dict(headers or {})
        known = self.validators.get(url) if self.validators is not None else None
        if known:
            if known.get("etag"):
                request_headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                request_headers["If-Modified-Since"] = known["last_modified"]
        return self._get_with_retries(url, request_headers)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our user agent fetch ``url`` (fetches it once per host)."""
        parser = self._robots_for(url)
        return parser.can_fetch(self.user_agent, url)

    # -- internals ---------------------------------------------------------
    @staticmethod
    def _full_url(url: str, params: Mapping | None) -> str:
        if not params:
            return url
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(url, params)
        return prepared.url

    @staticmethod
    def _host(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def _robots_for(self, url: str) -> RobotFileParser:
        host = self._host(url)
        with self._lock:
            parser = self._robots.get(host)
            if parser is not None:
                return parser
            parser = RobotFileParser(host + "/robots.txt")
            try:
                self._wait_turn(host)
                response = self.session.get(host + "/robots.txt", timeout=self.timeout)
            except requests.RequestException:
                parser.allow_all = True  # unreachable robots.txt: crawl allowed
            else:
                if response.status_code >= 500 or response.status_code == 429:
                    parser.disallow_all = True  # server trouble: stay away this run
                elif response.status_code >= 400:
                    parser.allow_all = True
                else:
                    parser.parse(response.text.splitlines())
            # can_fetch() answers False until last_checked is set, even for allow_all.
            parser.modified()
            self._robots[host] = parser
            return parser

    def _host_delay(self, host: str) -> float:
        parser = self._robots.get(host)
        crawl_delay = parser.crawl_delay(self.user_agent) if parser is not None and parser.last_checked else None
        return max(self.delay, float(crawl_delay or 0))

    def _wait_turn(self, host: str) -> None:
        """Sleep until ``delay`` has passed since the last request to ``host``."""
        last = self._last_request.get(host)
        if last is not None:
            remaining = self._host_delay(host) - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)
        self._last_request[host] = self._clock()

    def _backoff_seconds(self, attempt: int) -> float:
        base = self.backoff * (2**attempt)
        return min(self.max_backoff, base + self._jitter() * self.backoff)

    def _get_with_retries(self, url: str, headers: dict) -> FetchResult:
        host = self._host(url)
        last_problem = ""
        last_status: int | None = None
        for attempt in range(self.max_retries + 1):
            with self._lock:
                self._wait_turn(host)
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout)
            except requests.Timeout as exc:
                last_problem, last_status = f"timed out after {self.timeout:g}s ({type(exc).__name__})", None
            except requests.RequestException as exc:
                last_problem, last_status = f"connection failed ({type(exc).__name__}: {exc})", None
            else:
                status = response.status_code
                if status == 429 or (status == 503 and response.headers.get("Retry-After")):
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    wait = self._backoff_seconds(attempt) if wait is None else wait
                    if wait > self.max_wait:
                        raise RateLimited(
                            url, status, f"server asked to wait {wait:.0f}s, more than max_wait={self.max_wait:g}s",
                            retry_after=wait,
                        )
                    if attempt == self.max_retries:
                        raise RateLimited(url, status, f"still rate limited after {attempt + 1} attempts", retry_after=wait)
                    self._sleep(wait)
                    continue
                if status >= 500:
                    last_problem, last_status = f"server error {status}", status
                else:
                    return self._result(url, response)
            if attempt < self.max_retries:
                self._sleep(self._backoff_seconds(attempt))
        raise FetchError(url, last_status, f"giving up after {self.max_retries + 1} attempts: {last_problem}")

    def _result(self, url: str, response: requests.Response) -> FetchResult:
        status = response.status_code
        headers = dict(response.headers)
        if status == 304:
            return FetchResult(url=url, status=304, headers=headers, not_modified=True)
        if status in _GONE or 200 <= status < 300:
            if 200 <= status < 300 and self.validators is not None:
                etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
                if etag or modified:
                    self.validators[url] = {"etag": etag or "", "last_modified": modified or ""}
            return FetchResult(
                url=response.url or url,
                status=status,
                content=response.content,
                headers=headers,
                encoding=_declared_charset(response.headers.get("Content-Type", "")),
            )
        reason = response.reason or "client error"
        raise FetchError(url, status, f"HTTP {status} {reason}")
