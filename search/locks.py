"""Locks across processes, on files in ``SEARCH_INDEX_DIR``.

Index writers serialise on one (load, modify, save: two workers never lose each
other's additions); the periodic sweep and kb's clustering each take one of
their own, so a second run returns at once instead of queueing up.
"""
from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings


@contextlib.contextmanager
def index_write_lock(*, blocking: bool = True, name: str = ".indexing.lock") -> Iterator[bool]:
    """Exclusive lock across processes for load-modify-save of the index; yields False if busy."""
    directory = Path(settings.SEARCH_INDEX_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / name, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
