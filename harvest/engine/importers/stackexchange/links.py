"""PostLinks.xml: duplicate and related links between questions.

The file holds only pairs of ids (a few hundred thousand rows for Stack Overflow),
so it is read whole, before Posts.xml, to tell each question what it duplicates.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from harvest.engine.records import ItemError, LinkRecord

from ..archive import DumpFiles, open_dump
from .convert import row_id
from .xmlrows import iter_rows, parse_int

# Stack Exchange LinkTypeId values (PostId is the duplicate, RelatedPostId the original).
LINK_KINDS = {1: "related", 3: "duplicate"}


@dataclass(frozen=True, slots=True)
class LinkEntry:
    """One PostLinks row in file order: a link, or the error it produced.

    ``row_id`` is None when the row has no usable Id (not a resume point).
    """

    row_id: int | None
    record: LinkRecord | ItemError


def load_links(dump: DumpFiles) -> list[LinkEntry]:
    """Every PostLinks row of the dump (empty when the file is absent); never raises
    on bad data, which comes back as ItemError entries."""
    if not dump.has("PostLinks.xml"):
        return []
    entries: list[LinkEntry] = []
    with dump.open("PostLinks.xml") as stream:
        for number, row in enumerate(iter_rows(stream, file_name="PostLinks.xml"), start=1):
            if isinstance(row, ItemError):
                entries.append(LinkEntry(None, row))
                break
            entries.append(_entry(row, number))
    return entries


def _entry(row: dict[str, str], number: int) -> LinkEntry:
    try:
        link_id = row_id(row)
    except ValueError as exc:
        return LinkEntry(None, ItemError(item=f"PostLinks.xml row #{number}", message=str(exc)))
    try:
        from_id = parse_int(row.get("PostId"), field="PostId")
        to_id = parse_int(row.get("RelatedPostId"), field="RelatedPostId")
        link_type = parse_int(row.get("LinkTypeId"), field="LinkTypeId")
        if from_id is None or to_id is None or link_type is None:
            raise ValueError("missing PostId, RelatedPostId or LinkTypeId")
    except ValueError as exc:
        return LinkEntry(link_id, ItemError(item=f"PostLinks.xml row Id={link_id}", message=str(exc)))
    kind = LINK_KINDS.get(link_type)
    if kind is None:
        # Other link types are not in the public schema; nothing to import.
        return LinkEntry(link_id, ItemError(item=f"PostLinks.xml row Id={link_id}",
                                            message=f"unknown LinkTypeId {link_type}"))
    return LinkEntry(link_id, LinkRecord(from_external_id=str(from_id), to_external_id=str(to_id), kind=kind))


def duplicate_map(entries: list[LinkEntry]) -> dict[str, str]:
    """Question id -> the original it was closed as a duplicate of (first link wins)."""
    originals: dict[str, str] = {}
    for entry in entries:
        record = entry.record
        if isinstance(record, LinkRecord) and record.kind == "duplicate":
            originals.setdefault(record.from_external_id, record.to_external_id)
    return originals


def read_post_links(path: str | os.PathLike[str]) -> list[LinkRecord]:
    """Duplicate and related links of the dump at ``path`` (folder or archive).

    Bad rows are left out; an absent PostLinks.xml gives ``[]``. Raises DumpError
    when the dump itself cannot be opened.
    """
    with open_dump(path, wanted={"PostLinks.xml"}) as dump:
        return [e.record for e in load_links(dump) if isinstance(e.record, LinkRecord)]
