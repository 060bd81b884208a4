"""Versioned, crash-safe files for the vector index, and hot reload in web processes.

Layout of the store directory::

    index-<version>.faiss   serialized FAISS index
    index-<version>.keyword the BM25 keyword index of the same pass (``keyword_index``)
    index-<version>.json    meta: version, model, dim, count, created, checksums, ...
    CURRENT                 the version readers should load (one integer)

A writer writes both files under temporary names, ``os.replace``s them into
place, and only then replaces ``CURRENT``: readers see the old version or the
new one, never half a file. The two newest versions are kept, so a reader that
read ``CURRENT`` just before a switch still finds its files.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Hashable, Iterator

import numpy as np

from .keyword_index import KeywordIndex
from .vector_index import VectorIndex

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 2
_VERSION_FILE = re.compile(r"^index-(\d+)\.(faiss|json|keyword)$")


class IndexUnavailable(RuntimeError):
    """No usable index: never built, missing files, corrupt, or built with another model."""


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets us open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class IndexStore:
    """Versioned index files in one directory (created if missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @property
    def _current_path(self) -> Path:
        return self.directory / "CURRENT"

    def _paths(self, version: int) -> tuple[Path, Path]:
        return self.directory / f"index-{version}.faiss", self.directory / f"index-{version}.json"

    def _keyword_path(self, version: int) -> Path:
        return self.directory / f"index-{version}.keyword"

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        # Serialises writers across processes (two rebuild tasks at once).
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def versions(self) -> list[int]:
        """Versions that have an index file on disk, ascending."""
        if not self.directory.is_dir():
            return []
        found = {
            int(m.group(1))
            for name in os.listdir(self.directory)
            if (m := _VERSION_FILE.match(name)) and m.group(2) == "faiss"
        }
        return sorted(found)

    def current_version(self) -> int | None:
        """The version ``CURRENT`` points at, or ``None``; one small file read."""
        try:
            raw = self._current_path.read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexUnavailable(f"Cannot read {self._current_path}: {exc}") from exc
        if not raw.isdigit():
            raise IndexUnavailable(f"{self._current_path} is corrupt: {raw[:40]!r} is not a version")
        return int(raw)

    def save(self, index: VectorIndex, *, meta: dict, keyword: KeywordIndex | None = None) -> int:
        """Write ``index`` (and ``keyword``) as a new version, make it current, prune old versions.

        ``meta`` must contain ``"model"`` (the embedder name the vectors came
        from); other keys are stored as given. Without ``keyword`` the current
        version's keyword index, if any, carries over unchanged. Returns the new
        version number.
        """
        if not meta.get("model"):
            raise ValueError('meta must name the embedding model: meta={"model": ...}')
        data = index.to_bytes()
        keyword_data = keyword.to_bytes() if keyword is not None else None
        with self._writer_lock():
            known = self.versions()
            previous = self.current_version()
            version = max(known + [previous or 0]) + 1
            faiss_path, json_path = self._paths(version)
            if keyword_data is not None:
                _write_atomic(self._keyword_path(version), keyword_data)
                keyword_record = {"checksum": "sha256:" + hashlib.sha256(keyword_data).hexdigest(),
                                  "documents": len(keyword)}
            else:
                keyword_record = self._carry_keyword(previous, version)
            record = {
                **meta,
                "version": version,
                "model": meta["model"],
                "dim": index.dim,
                "count": len(index),
                "kind": index.kind,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "checksum": "sha256:" + hashlib.sha256(data).hexdigest(),
                "tombstones": sorted(index.tombstones),
                "options": index.options(),
                "keyword": keyword_record,
            }
            _write_atomic(faiss_path, data)
            _write_atomic(json_path, json.dumps(record, indent=1).encode("utf-8"))
            _fsync_dir(self.directory)
            _write_atomic(self._current_path, f"{version}\n".encode("ascii"))
            _fsync_dir(self.directory)
            self._prune(keep_from=version)
        logger.info("vector index v%s saved: %s passages, %s", version, record["count"], record["kind"])
        return version

    def _carry_keyword(self, previous: int | None, version: int) -> dict | None:
        """Link the previous version's keyword file to ``version``; its meta entry, or None."""
        if previous is None:
            return None
        try:
            record = json.loads(self._paths(previous)[1].read_text(encoding="utf-8")).get("keyword")
            if record:
                try:
                    os.link(self._keyword_path(previous), self._keyword_path(version))
                except OSError:  # no hard links here: copy
                    _write_atomic(self._keyword_path(version), self._keyword_path(previous).read_bytes())
            return record or None
        except (OSError, ValueError):
            return None

    def _prune(self, *, keep_from: int) -> None:
        keep = set(sorted(v for v in self.versions() if v <= keep_from)[-KEEP_VERSIONS:])
        keep.update(v for v in self.versions() if v > keep_from)
        for name in os.listdir(self.directory):
            match = _VERSION_FILE.match(name)
            if match and int(match.group(1)) not in keep:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.directory / name)

    def load_version(self, version: int, *, expected_model: str | None = None) -> tuple[VectorIndex, dict]:
        """Load one version, verifying its checksum; raises ``IndexUnavailable``."""
        faiss_path, json_path = self._paths(version)
        try:
            meta = json.loads(json_path.read_text(encoding="utf-8"))
            data = faiss_path.read_bytes()
        except FileNotFoundError as exc:
            raise IndexUnavailable(f"Vector index version {version} is missing: {exc.filename}") from exc
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"Vector index version {version} has unreadable meta: {exc}") from exc
        checksum = "sha256:" + hashlib.sha256(data).hexdigest()
        if meta.get("checksum") != checksum:
            raise IndexUnavailable(
                f"Vector index version {version} is corrupt: checksum of {faiss_path.name} does not match; rebuild it"
            )
        if expected_model is not None and meta.get("model") != expected_model:
            raise IndexUnavailable(
                f"Vector index version {version} was built with model {meta.get('model')!r}, "
                f"but the configured model is {expected_model!r}; rebuild the index"
            )
        try:
            index = VectorIndex.from_bytes(
                data, tombstones=meta.get("tombstones", ()), **meta.get("options", {})
            )
        except Exception as exc:  # FAISS raises RuntimeError with C++ text
            raise IndexUnavailable(f"Vector index version {version} cannot be read by FAISS: {exc}") from exc
        return index, meta

    def load_keyword(self, version: int) -> KeywordIndex:
        """The keyword index saved with ``version``, checksum verified; raises ``IndexUnavailable``."""
        try:
            record = json.loads(self._paths(version)[1].read_text(encoding="utf-8")).get("keyword")
            if not record:
                raise IndexUnavailable(f"Index version {version} has no keyword index (saved before it existed)")
            data = self._keyword_path(version).read_bytes()
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"Keyword index of version {version} is unreadable: {exc}") from exc
        if record.get("checksum") != "sha256:" + hashlib.sha256(data).hexdigest():
            raise IndexUnavailable(f"Keyword index of version {version} is corrupt: checksum does not match")
        try:
            return KeywordIndex.from_bytes(data)
        except ValueError as exc:
            raise IndexUnavailable(f"Keyword index of version {version}: {exc}") from exc

    def load_current(self, *, expected_model: str | None = None) -> tuple[VectorIndex, dict]:
        """Load the version ``CURRENT`` points at.

        Retries when a concurrent writer pruned the files between reading
        ``CURRENT`` and opening them. Raises ``IndexUnavailable`` when there is
        no index yet or it is corrupt.
        """
        for attempt in range(3):
            version = self.current_version()
            if version is None:
                raise IndexUnavailable(
                    f"No vector index in {self.directory}: build it first (the search index task)"
                )
            try:
                return self.load_version(version, expected_model=expected_model)
            except IndexUnavailable:
                if attempt == 2 or self.current_version() == version:
                    raise
        raise AssertionError("unreachable")


class LiveIndex:
    """The current index for a long-running process, swapped in when a new version appears.

    ``get()`` compares ``CURRENT`` with the loaded version (at most once per
    ``check_interval`` seconds) and loads a newer one under a lock; searches
    already running keep their reference to the old index, which stays valid.
    If the new version is unreadable, the old one keeps serving and the failure
    is logged; ``IndexUnavailable`` is raised only when nothing was ever loaded.
    The version's keyword index is swapped in with it (``keyword()``); a version
    without a readable one leaves ``keyword()`` None, and keyword search uses the
    database's full-text index instead.
    """

    def __init__(
        self, store: IndexStore, *, expected_model: str | None = None, check_interval: float = 0.0
    ) -> None:
        self.store = store
        self.expected_model = expected_model
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._index: VectorIndex | None = None
        self._keyword: KeywordIndex | None = None
        self._meta: dict = {}
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._failed_version: int | None = None

    @property
    def version(self) -> int | None:
        return self._version

    def get(self) -> tuple[VectorIndex, dict]:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.check_interval:
            return self._index, self._meta
        with self._lock:
            self._checked_at = now
            try:
                current = self.store.current_version()
            except IndexUnavailable:
                current = None
            if current is not None and current != self._version and current != self._failed_version:
                try:
                    index, meta = self.store.load_version(current, expected_model=self.expected_model)
                except IndexUnavailable as exc:
                    if self._index is None:
                        raise
                    self._failed_version = current
                    logger.error("keeping vector index v%s: %s", self._version, exc)
                else:
                    keyword = self._load_keyword(current)
                    self._index, self._keyword, self._meta, self._version = index, keyword, meta, current
                    self._failed_version = None
            if self._index is None:
                # Repeat the store's own diagnosis (missing / corrupt) for the caller.
                return self.store.load_current(expected_model=self.expected_model)
            return self._index, self._meta

    def _load_keyword(self, version: int) -> KeywordIndex | None:
        try:
            return self.store.load_keyword(version)
        except IndexUnavailable as exc:
            logger.warning("keyword search falls back to the database: %s", exc)
            return None

    def keyword(self) -> KeywordIndex | None:
        """The keyword index of the version ``get()`` serves (None: the database's full-text index answers)."""
        self.get()
        return self._keyword

    def search_documents(self, vector: np.ndarray, k: int, passage_to_doc) -> list[tuple[Hashable, float, int]]:
        index, _ = self.get()
        return index.search_documents(vector, k, passage_to_doc)
