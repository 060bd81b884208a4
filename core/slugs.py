"""Unique slugs for rows named by people (sources, articles)."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import slugify


def unique_slug(text: str, *, queryset: QuerySet, max_length: int, fallback: str, field: str = "slug") -> str:
    """``slugify(text)`` cut to ``max_length``, with ``-2``, ``-3``… added until no row of ``queryset`` has it.

    ``fallback`` is used when ``text`` has nothing to slugify. Exclude the row being
    renamed from ``queryset`` so it may keep its own slug.
    """
    base = slugify(text)[:max_length] or fallback
    slug, n = base, 2
    while queryset.filter(**{field: slug}).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
