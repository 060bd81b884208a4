"""Work in batches: fixed-size chunks of a list, and the progress callback long passes report to."""
from __future__ import annotations

from collections.abc import Callable, Iterator

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
