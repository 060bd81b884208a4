"""Pure core of "Insert excerpt": an article's solution as blocks, and the excerpt's line breaks put back.

The excerpt is chosen on whitespace-collapsed text (the search's matched passage is
collapsed the same way), which runs a list's items and the paragraph after it into one
line ("add: TCP 1935, 3478-3480 UDP 3074, 3478-3479 Run the console's network test").
``with_breaks`` restores a break before every paragraph and list item the excerpt spans.
"""
from __future__ import annotations

import re

from search.engine.passages import markdown_to_text

_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


def solution_blocks(solution: str) -> list[tuple[str, str]]:
    """``[(marker, plain text)]``: each paragraph (marker ``""``) and each list item (``"-"``, ``"1."``)
    of a Markdown ``solution``, its text whitespace-collapsed."""
    raw: list[list[str]] = []
    current: list[str] | None = None
    for line in solution.replace("\r\n", "\n").split("\n"):
        item = _ITEM.match(line)
        if not line.strip():
            current = None
        elif item:
            marker = "-" if item.group(1) in "-*+" else item.group(1)
            current = [marker, line[item.end():]]
            raw.append(current)
        elif current is None:
            current = ["", line]
            raw.append(current)
        else:
            current[1] += "\n" + line
    blocks = [(marker, " ".join(markdown_to_text(text).split())) for marker, text in raw]
    return [(marker, text) for marker, text in blocks if text]


def flat_text(blocks: list[tuple[str, str]]) -> str:
    """The blocks' text joined by single spaces: what excerpts are cut from."""
    return " ".join(text for _, text in blocks)


def with_breaks(excerpt: str, blocks: list[tuple[str, str]]) -> str:
    """``excerpt`` (a piece of ``flat_text(blocks)``, perhaps ending in " …") with a line break before
    each block it spans after its first, and each list item's marker. Unchanged if it is not found."""
    flat = flat_text(blocks)
    core = excerpt[:-2] if excerpt.endswith(" …") else excerpt
    start = flat.find(core)
    if start < 0 or not core:
        return excerpt
    end = start + len(core)
    pieces, offset = [], 0
    for marker, text in blocks:
        lo, hi = max(offset, start), min(offset + len(text), end)
        if lo < hi:
            part = flat[lo:hi]
            pieces.append(f"{marker} {part}" if marker and lo == offset else part)
        offset += len(text) + 1
    return "\n".join(pieces) + excerpt[len(core):]
