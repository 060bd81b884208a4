"""On-disk staging for what does not fit in memory on a big dump.

Users.xml of a large site has tens of millions of rows; holding display names in
a dict would cost gigabytes. They go into a stdlib sqlite3 file in a temporary
folder instead, together with the ids of accepted answers (so an answer knows it
is accepted even though its question was read long before).
"""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from harvest.engine.records import ItemError

# SQLite's default limit on host parameters in one statement is 32766 (3.32+);
# stay far below it so IN (...) lookups work on any build.
_LOOKUP_CHUNK = 900
_INSERT_BATCH = 10_000


class Staging:
    """A temporary sqlite database; use as a context manager (deleted on exit)."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="gleaner-se-")
        self._db = sqlite3.connect(Path(self._dir) / "staging.sqlite3")
        # Throwaway data: durability would only slow the bulk load down.
        self._db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -16000;
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE accepted (id INTEGER PRIMARY KEY);
            """
        )

    def load_users(self, rows: Iterable[dict[str, str] | ItemError]) -> Iterator[ItemError]:
        """Stage ``Id -> DisplayName`` from Users.xml rows; yield problems found.

        Rows without a usable Id are counted and reported once at the end, because
        a user row is not itself a record anyone imports.
        """
        batch: list[tuple[int, str]] = []
        bad = 0
        for row in rows:
            if isinstance(row, ItemError):
                yield row
                break
            try:
                user_id = int(row["Id"])
            except (KeyError, ValueError):
                bad += 1
                continue
            name = row.get("DisplayName", "").strip()
            if name:
                batch.append((user_id, name))
            if len(batch) >= _INSERT_BATCH:
                self._insert_users(batch)
                batch = []
        self._insert_users(batch)
        if bad:
            yield ItemError(item="Users.xml", message=f"{bad} user rows without a valid Id skipped")

    def _insert_users(self, batch: list[tuple[int, str]]) -> None:
        if batch:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO users (id, name) VALUES (?, ?)", batch)

    def user_names(self, ids: Iterable[int]) -> dict[int, str]:
        """Display names for those of ``ids`` that Users.xml knows."""
        return dict(self._select("SELECT id, name FROM users WHERE id IN ({})", ids))

    def add_accepted(self, answer_ids: Iterable[int]) -> None:
        rows = [(answer_id,) for answer_id in answer_ids]
        if rows:
            with self._db:
                self._db.executemany("INSERT OR IGNORE INTO accepted (id) VALUES (?)", rows)

    def accepted_among(self, answer_ids: Iterable[int]) -> set[int]:
        """Which of ``answer_ids`` some question named as its accepted answer."""
        return {row[0] for row in self._select("SELECT id FROM accepted WHERE id IN ({})", answer_ids)}

    def _select(self, sql: str, ids: Iterable[int]) -> Iterator[tuple]:
        unique = sorted(set(ids))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start:start + _LOOKUP_CHUNK]
            yield from self._db.execute(sql.format(",".join("?" * len(chunk))), chunk)

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
