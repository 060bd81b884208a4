"""Input rules for community posts, shared by forms, the API and services."""
from __future__ import annotations

import re

from django.conf import settings
from django.utils.text import slugify

from core.errors import ServiceError

MAX_TAGS = 5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


def validate_title(title: str) -> str:
    title = " ".join(clean_text(title).split())
    if len(title) < 10:
        raise ServiceError("Write a title of at least 10 characters that says what the problem is.", field="title")
    if len(title) > settings.COMMUNITY_MAX_TITLE:
        raise ServiceError(f"Titles can be at most {settings.COMMUNITY_MAX_TITLE} characters.", field="title")
    return title


def validate_body(body: str, *, minimum: int = 20, field: str = "body") -> str:
    body = clean_text(body)
    if len(body) < minimum:
        raise ServiceError(f"Write at least {minimum} characters.", field=field)
    if len(body) > settings.COMMUNITY_MAX_BODY:
        raise ServiceError(
            f"That is {len(body):,} characters; the limit is {settings.COMMUNITY_MAX_BODY:,}.", field=field
        )
    return body


def validate_comment(body: str) -> str:
    body = clean_text(body)
    if len(body) < 5:
        raise ServiceError("Comments need at least 5 characters.", field="body")
    if len(body) > 600:
        raise ServiceError("Comments can be at most 600 characters.", field="body")
    return body


# Symbols that tell tags apart ("c", "c++", "c#"): spelled out, so their slugs stay apart too.
_TAG_SYMBOLS = {"+": " plus ", "#": " sharp ", ".": " dot ", "&": " and ", "@": " at "}


def tag_slug(name: str) -> str:
    """The tag's identity in URLs, filters and the search index: lower-case letters, digits and
    hyphens ("C++" -> "c-plus-plus", "wifi/mesh" -> "wifi-mesh", "Ｈ２" stays readable); "" when
    nothing is left. Typed community tags and harvested tags go through this one rule; a harvested
    tag keeps the name its source showed as ``Tag.label``."""
    text = "".join(_TAG_SYMBOLS.get(ch, ch) for ch in (name or "").strip().lower())
    # Any other symbol separates words ("wifi/mesh" -> "wifi-mesh"); slugify alone would glue them.
    text = re.sub(r"[^\w\s-]", " ", text)
    return slugify(text, allow_unicode=True)[:50].strip("-")


def parse_tags(raw: str | list[str]) -> list[str]:
    names = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw or "")
    seen: list[str] = []
    for name in names:
        slug = tag_slug(name)
        if slug and slug not in seen:
            seen.append(slug)
    return seen


DISPLAY_NAME_MAX = 80


def validate_display_name(name: str) -> str:
    """The name shown on a member's posts: 2 to 80 characters, spaces folded."""
    name = " ".join(clean_text(name).split())
    if len(name) < 2:
        raise ServiceError("Pick a display name of at least 2 characters.", field="display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise ServiceError(f"Display names can be at most {DISPLAY_NAME_MAX} characters.", field="display_name")
    return name
