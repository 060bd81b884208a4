"""Streaming ``<row …/>`` reader and field parsers for Stack Exchange dump files.

Every dump file is ``<root>`` followed by one self-closing ``<row>`` per item with
all data in attributes. Rows are read with ``lxml.etree.iterparse`` and freed as
soon as they are copied out, so memory stays flat whatever the file size.
"""
from __future__ import annotations

import re
import tarfile
import zipfile
import zlib
from datetime import date, datetime, timezone
from typing import BinaryIO, Iterator

from lxml import etree

from harvest.engine.records import ItemError

# Errors a stream can raise half-way through (truncated gzip/zip, bad CRC);
# they end the file like malformed XML does instead of aborting the run.
STREAM_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError)


def iter_rows(
    stream: BinaryIO, *, file_name: str, fields: tuple[str, ...] | None = None,
) -> Iterator[dict[str, str] | ItemError]:
    """Yield each row's attributes as a fresh dict, in file order (only ``fields`` when given:
    Users.xml rows carry long profile texts a harvest never reads).

    On malformed XML or a read error, yields a single ``ItemError(item=file_name)``
    and stops; rows before the damage have already been yielded and stay valid.
    """
    # huge_tree lifts libxml2's 10 MB limit on one attribute (a huge post body);
    # entity-amplification protection stays on, external entities stay unresolved.
    parser = etree.iterparse(
        stream, events=("end",), tag="row", huge_tree=True,
        resolve_entities=False, load_dtd=False, no_network=True,
    )
    try:
        for _event, element in parser:
            if fields is None:
                attributes = dict(element.attrib)
            else:
                attributes = {name: value for name in fields if (value := element.get(name)) is not None}
            # Free the row and every already-handled sibling; otherwise the root
            # keeps them all and memory grows with the file.
            element.clear(keep_tail=True)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            yield attributes
    except etree.XMLSyntaxError as exc:
        message = re.sub(r",? line \d+, column \d+.*$", "", str(exc.msg or exc))
        yield ItemError(item=file_name, message=f"malformed XML at line {exc.lineno}: {message}")
    except STREAM_ERRORS as exc:
        yield ItemError(item=file_name, message=f"unreadable data: {exc}")


def count_rows(stream: BinaryIO, *, chunk_size: int = 1 << 20) -> int:
    """Count ``<row`` tags by scanning bytes; no XML parsing (for progress bars).

    Attribute values in a dump escape ``<`` as ``&lt;``, so ``<row`` only ever
    starts an element.
    """
    pattern = re.compile(rb"<row[\s/>]")
    count, carry = 0, b""
    while chunk := stream.read(chunk_size):
        data = carry + chunk
        count += len(pattern.findall(data))
        # A tag cut at the chunk edge is completed by the next chunk; the last four
        # bytes can never hold a whole match, so carrying them never double-counts.
        carry = data[-4:]
    return count


def parse_int(value: str | None, *, field: str) -> int | None:
    """``None`` for a missing value; ValueError naming the field for a bad one."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"invalid {field} {value!r}") from None


def parse_date(value: str | None, *, field: str) -> datetime | None:
    """Dump dates are UTC without offset (``2014-01-21T20:26:05.383``); return aware UTC."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"invalid {field} {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_tags(value: str | None) -> tuple[str, ...]:
    """Tags in either dump format: ``<a><b>`` (to 2023) or ``|a|b|`` (newer dumps)."""
    if not value:
        return ()
    if "<" in value:
        tags = re.findall(r"<([^<>]+)>", value)
    elif "|" in value:
        tags = value.split("|")
    else:
        tags = value.split()
    return tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


# Stack Exchange relicensed user content on these dates (site terms of service).
_CC_BY_SA_30_FROM = date(2011, 4, 8)
_CC_BY_SA_40_FROM = date(2018, 5, 2)


def license_for(created_at: datetime, *, content_license: str = "", license_default: str = "") -> str:
    """The licence of a post: the dump's own ``ContentLicense`` when it has one,
    else ``license_default`` when set, else the Stack Exchange licence of the
    post's creation date."""
    if content_license:
        return content_license
    if license_default:
        return license_default
    day = created_at.date()
    if day < _CC_BY_SA_30_FROM:
        return "CC BY-SA 2.5"
    if day < _CC_BY_SA_40_FROM:
        return "CC BY-SA 3.0"
    return "CC BY-SA 4.0"
