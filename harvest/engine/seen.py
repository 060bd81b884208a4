"""An on-disk ledger of one (possibly resumed) run: ids seen, deletions put off.

A full snapshot such as a Stack Exchange dump says what vanished only by what it
no longer holds, so the run remembers every thread and answer id it read. Any run
can also meet evidence of a deletion (a 404 thread page, a post missing from a
complete thread); it is put off here and applied only if the run turns out
complete. It also lists the threads each stored batch changed. Kept in SQLite next to
the data, so memory stays bounded whatever the dump's size and a run killed midway hands
its ledger to the run that resumes it.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

_TABLES = ("seen", "seen_posts", "deferred_threads", "deferred_posts", "changed_threads")


class SeenSet:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        for table in _TABLES:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY) WITHOUT ROWID")

    def _add(self, table: str, ids: Iterable[str]) -> None:
        self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?)", ((str(i),) for i in ids))
        self._db.commit()

    def add_many(self, ids: Iterable[str]) -> None:
        """Remember thread external ids read by the run."""
        self._add("seen", ids)

    def add_posts(self, ids: Iterable[str]) -> None:
        """Remember answer external ids read by the run."""
        self._add("seen_posts", ids)

    def defer_threads(self, external_ids: Iterable[str]) -> None:
        """Threads the source reported gone, to mark deleted once the run is known complete."""
        self._add("deferred_threads", external_ids)

    def defer_posts(self, post_ids: Iterable[int]) -> None:
        """Posts (primary keys) missing from a complete thread, to mark deleted likewise."""
        self._add("deferred_posts", post_ids)

    def add_changed(self, thread_ids: Iterable[int]) -> None:
        """Threads (primary keys) a batch stored or changed, so the run that resumes a killed
        one reports them with its own when it finishes."""
        self._add("changed_threads", thread_ids)

    def changed(self) -> list[int]:
        return [int(row[0]) for row in self._db.execute("SELECT id FROM changed_threads")]

    def deferred_threads(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT id FROM deferred_threads")]

    def deferred_posts(self) -> list[int]:
        return [int(row[0]) for row in self._db.execute("SELECT id FROM deferred_posts")]

    def missing(self, candidates: Iterable[str], *, chunk: int = 900) -> Iterator[str]:
        """Those of ``candidates`` (thread external ids) that were not seen."""
        return self._missing_from("seen", candidates, chunk)

    def missing_posts(self, candidates: Iterable[str], *, chunk: int = 900) -> Iterator[str]:
        """Those of ``candidates`` (answer external ids) that were not seen."""
        return self._missing_from("seen_posts", candidates, chunk)

    def _missing_from(self, table: str, candidates: Iterable[str], chunk: int) -> Iterator[str]:
        buf: list[str] = []
        for cid in candidates:
            buf.append(cid)
            if len(buf) >= chunk:
                yield from self._missing(table, buf)
                buf = []
        if buf:
            yield from self._missing(table, buf)

    def _missing(self, table: str, ids: list[str]) -> list[str]:
        marks = ",".join("?" * len(ids))
        found = {row[0] for row in self._db.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", ids)}
        return [i for i in ids if i not in found]

    def close(self, *, delete: bool = False) -> None:
        self._db.close()
        if delete:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
