"""What happens to outside content before it is stored: sanitize, mask contacts, cap size.

Also the small value helpers the store needs to compare a record with what it holds.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import re
from datetime import datetime, timezone

from community.rendering import sanitize_html
from core.masking import mask_contacts

# Bump when cleaning changes, so the next harvest rewrites every stored body.
CLEANING_VERSION = 3

_TAG = re.compile(r"<[^>]*>")


def clean_body(html: str, *, mask: bool, max_chars: int) -> tuple[str, str | None]:
    """Sanitized, masked, size-capped HTML, and a warning when it had to be cut."""
    warning = None
    if len(html) > max_chars * 4:
        # Cut before sanitizing so a hostile multi-megabyte post cannot make us do unbounded work.
        html = html[: max_chars * 4]
    body = sanitize_html(html)
    if mask:
        body = mask_contacts(body)
    if len(body) > max_chars:
        warning = f"post is {len(body):,} characters after cleaning, over the {max_chars:,} limit; stored cut"
        body = sanitize_html(body[:max_chars]) + "<p><em>[cut: the post was too long]</em></p>"
    return body, warning


def clean_text(text: str, *, mask: bool, limit: int) -> str:
    text = (text or "").strip()[:limit]
    return mask_contacts(text) if mask else text


def strip_tags(text: str) -> str:
    """Plain text of a short HTML fragment (a comment)."""
    if "<" not in text:
        return text
    return " ".join(html_lib.unescape(_TAG.sub(" ", text)).split())


def aware(value: datetime | None) -> datetime | None:
    """Dump dates without a zone are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def record_hash(*parts) -> str:
    """A 64-character digest of a record's fields as the source gave them.

    Taken before cleaning, so an unchanged post is recognised without sanitizing it;
    the cleaning settings are among ``parts`` so changing them rewrites the bodies.
    """
    # One buffer hashed in one call: the same digest as feeding sha256 part by part
    # (stored hashes stay valid; tests/harvest/test_record_hash.py pins one), with
    # fewer calls per record on a harvest's thousands of records.
    text = "\x1f".join(["\x1e".join(map(str, part)) if isinstance(part, (tuple, list)) else str(part)
                        for part in (CLEANING_VERSION, *parts)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
