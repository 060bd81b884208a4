"""A real local HTTP server for tests and the demo: static fixture files plus scripted replies.

Example::

    from demo.fixture_server import FixtureServer, Reply

    with FixtureServer(root=FIXTURES / "discourse" / "site") as server:
        server.route("/robots.txt", body="User-agent: *\\nDisallow: /admin/\\n")
        server.script("/t/7.json", [Reply(429, headers={"Retry-After": "1"}), Reply(200, body="{}")])
        requests.get(f"{server.base_url}/latest.json?page=1")
        assert server.requests[-1].headers["User-Agent"].startswith("GleanerBot/")

Lookup order for a request ``/a/b.json?x=1``: a route/script registered with the query
(``/a/b.json?x=1``), then one registered without it (``/a/b.json``), then the file
``root/a/b.json?x=1`` (query percent-decoded), then ``root/a/b.json``; else 404.
Query strings are compared after percent-decoding, so ``post_ids[]=1`` and
``post_ids%5B%5D=1`` are the same route.

Files are served with ``ETag`` and ``Last-Modified`` and answer 304 to a matching
``If-None-Match`` (or, without it, ``If-Modified-Since``), so conditional GET is testable.
"""
from __future__ import annotations

import hashlib
import mimetypes
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["FixtureServer", "Reply", "Seen"]


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted response. ``file`` is read at request time and gets validators."""

    status: int = 200
    body: bytes | str | None = None
    headers: dict | None = None
    delay: float = 0.0
    content_type: str | None = None
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """A request the server received. ``path`` includes the raw query string;
    ``at`` is ``time.monotonic()`` on arrival (to check delays between requests)."""

    method: str
    path: str
    headers: dict = field(default_factory=dict)
    at: float = 0.0


def _norm(path: str) -> str:
    """Key for route lookup: decoded path, plus decoded query when present."""
    parts = urlsplit(path)
    key = unquote(parts.path) or "/"
    if parts.query:
        key += "?" + unquote(parts.query)
    return key


def _content_type(name: str) -> str:
    if name.endswith(".json"):
        return "application/json; charset=utf-8"
    if name.endswith("robots.txt") or name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    guessed, _ = mimetypes.guess_type(name)
    if guessed and guessed.startswith("text/"):
        return guessed + "; charset=utf-8"
    return guessed or "application/octet-stream"


class _Script:
    """Successive replies for one route; the last one repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        if not replies:
            raise ValueError("a script needs at least one Reply")
        self._replies = list(replies)
        self._lock = threading.Lock()
        self._next = 0

    def take(self) -> Reply:
        with self._lock:
            reply = self._replies[min(self._next, len(self._replies) - 1)]
            self._next += 1
            return reply


class FixtureServer:
    """ThreadingHTTPServer on 127.0.0.1 (free port) in a daemon thread.

    ``root`` may be None (routes only) and may be changed after start.
    ``requests`` lists every request received, in order, for politeness asserts.
    """

    def __init__(self, root: Path | None = None, *, port: int = 0) -> None:
        self.port = port
        self.root = Path(root) if root is not None else None
        self.requests: list[Seen] = []
        self._routes: dict[str, _Script] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- configuration -------------------------------------------------
    def route(
        self,
        path: str,
        *,
        body: bytes | str | None = None,
        file: Path | None = None,
        status: int = 200,
        headers: dict | None = None,
        delay: float = 0.0,
        content_type: str | None = None,
    ) -> None:
        """Fixed response for ``path`` (exact query when one is given)."""
        reply = Reply(status, body=body, headers=headers, delay=delay, content_type=content_type, file=file)
        self.script(path, [reply])

    def script(self, path: str, responses: list[Reply]) -> None:
        """Successive replies for successive requests to ``path``; the last repeats."""
        with self._lock:
            self._routes[_norm(path)] = _Script(responses)

    def url(self, path: str) -> str:
        return self.base_url + path

    def seen_paths(self) -> list[str]:
        """Paths (with percent-decoded query) of every request so far, in order."""
        return [unquote(seen.path) for seen in self.requests]

    # -- lifecycle -------------------------------------------------------
    def start(self) -> "FixtureServer":
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"server_state": self})
        try:
            httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        except OSError:
            if not self.port:
                raise
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # the wanted port is taken
        # Handler threads may be asleep in a ``delay``; do not wait for them on stop.
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "FixtureServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- resolution ------------------------------------------------------
    def _resolve(self, raw_path: str) -> Reply | None:
        key = _norm(raw_path)
        bare = key.split("?", 1)[0]
        with self._lock:
            script = self._routes.get(key) or self._routes.get(bare)
        if script is not None:
            return script.take()
        if self.root is None:
            return None
        root = self.root.resolve()
        for candidate in (key, bare):
            target = (root / candidate.lstrip("/")).resolve()
            # Refuse ``..`` escapes out of the fixture root.
            if target != root and root not in target.parents:
                return None
            if target.is_file():
                return Reply(200, file=target)
        return None


class _Handler(BaseHTTPRequestHandler):
    server_state: FixtureServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK
        # add ~40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        state = self.server_state
        state.requests.append(Seen(self.command, self.path, dict(self.headers.items()), time.monotonic()))
        reply = state._resolve(self.path)
        if reply is None:
            reply = Reply(404, body=b"Not Found", content_type="text/plain; charset=utf-8")
        if reply.delay:
            time.sleep(reply.delay)
        status, body, headers = self._materialize(reply)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(body) if status != 304 else 0))
            self.end_headers()
            if send_body and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests); nothing to do

    def _materialize(self, reply: Reply) -> tuple[int, bytes, dict]:
        headers = {}
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else (reply.body or b"")
        name = urlsplit(self.path).path
        if reply.file is not None:
            path = Path(reply.file)
            body = path.read_bytes()
            name = path.name.split("?", 1)[0]
            mtime = int(path.stat().st_mtime)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            headers["Last-Modified"] = formatdate(mtime, usegmt=True)
            if reply.status == 200 and self._not_modified(etag, mtime):
                return 304, b"", {**headers, **(reply.headers or {})}
        headers["Content-Type"] = reply.content_type or _content_type(name)
        headers.update(reply.headers or {})
        return reply.status, body, headers

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            # RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
            tags = [tag.strip() for tag in if_none_match.split(",")]
            return "*" in tags or etag in tags or f"W/{etag}" in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= int(parsedate_to_datetime(since).timestamp())
            except (TypeError, ValueError):
                return False
        return False
