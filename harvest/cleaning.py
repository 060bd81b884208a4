"""What happens to outside content before it is stored: sanitize, mask contacts, cap size."""
from __future__ import annotations

import re

from community.rendering import sanitize_html

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Phone numbers: +country or local formats with at least 8 digits in groups; not dates, IPs or versions.
PHONE = re.compile(r"(?<![\w.:/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4}(?![\w.:/-])")
_DIGITS = re.compile(r"\d")


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    return "[phone hidden]" if len(_DIGITS.findall(text)) >= 8 else text


def mask_contacts(text: str) -> str:
    text = EMAIL.sub("[email hidden]", text)
    return PHONE.sub(_mask_phone, text)


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
