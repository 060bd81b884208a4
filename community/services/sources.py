"""Sources of threads owned by the thread store: the built-in community source."""
from __future__ import annotations

from community.models import Source


def source_community() -> Source:
    """The built-in source of questions asked in Gleaner's own community (created on first use)."""
    source, _ = Source.objects.get_or_create(
        slug=Source.COMMUNITY_SLUG,
        defaults={"name": "Community", "kind": Source.Kind.COMMUNITY, "trust": 0.7},
    )
    return source
