"""An on-disk set of external ids seen during one (possibly resumed) run.

Used to find threads that vanished from a full snapshot such as a Stack Exchange
dump, in bounded memory whatever the dump's size.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path


class SeenSet:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY) WITHOUT ROWID")

    def add_many(self, ids: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((i,) for i in ids))
        self._db.commit()

    def missing(self, candidates: Iterable[str], *, chunk: int = 900) -> Iterator[str]:
        """Those of ``candidates`` that were not seen."""
        buf: list[str] = []
        for cid in candidates:
            buf.append(cid)
            if len(buf) >= chunk:
                yield from self._missing(buf)
                buf = []
        if buf:
            yield from self._missing(buf)

    def _missing(self, ids: list[str]) -> list[str]:
        marks = ",".join("?" * len(ids))
        found = {row[0] for row in self._db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", ids)}
        return [i for i in ids if i not in found]

    def close(self, *, delete: bool = False) -> None:
        self._db.close()
        if delete:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
