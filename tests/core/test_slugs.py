"""Unique slugs for rows people name: sources and articles."""
from __future__ import annotations

import pytest

from community.models import Source
from core.slugs import unique_slug

pytestmark = pytest.mark.django_db


def test_a_taken_slug_gets_the_next_free_number_and_an_empty_name_the_fallback():
    for slug in ("owners-forum", "owners-forum-2"):
        Source.objects.create(name="x", slug=slug, kind=Source.Kind.HTML)
    assert unique_slug("Owners forum!", queryset=Source.objects.all(), max_length=70, fallback="html") == "owners-forum-3"
    assert unique_slug("¿?", queryset=Source.objects.all(), max_length=70, fallback="html") == "html"
    assert unique_slug("a" * 100, queryset=Source.objects.all(), max_length=70, fallback="html") == "a" * 70
