"""Addresses that leave the site: only http(s) ones are stored as links or rendered as links.

A source's address and every harvested thread or post address end up in an
``href``. A ``javascript:`` or ``data:`` address there runs in our origin when
someone clicks it, so anything else is refused on input (``validate_web_url``),
dropped on import (``web_url_or_blank``) and shown as plain text by the
``outbound_link`` template tag if an older row still holds one.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

WEB_SCHEMES = ("http", "https")
_URL_VALIDATOR = URLValidator(schemes=list(WEB_SCHEMES))
MESSAGE = "Use a web address starting with http:// or https://."


def is_web_url(url: str | None) -> bool:
    """True for an absolute http(s) address with a host and no whitespace or control characters.

    Browsers ignore tabs, newlines and leading spaces inside a scheme ("java\\tscript:"), so any
    such character makes the address unsafe rather than being stripped here.
    """
    if not url or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)


def web_url_or_blank(url: str | None) -> str:
    """``url`` when it is a web address, else "" (what the harvest store keeps)."""
    return url if is_web_url(url) else ""


def validate_web_url(url: str) -> None:
    """Django validator for addresses people type (a source's address): http(s) only."""
    if not is_web_url(url):
        raise ValidationError(MESSAGE, code="invalid_scheme")
    _URL_VALIDATOR(url)
