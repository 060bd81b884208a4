"""Reads for sources and runs."""
from __future__ import annotations

from django.db.models import QuerySet

from harvest.models import HarvestRun, Source


def source_community() -> Source:
    """The built-in source of questions asked in Gleaner's own community."""
    source, _ = Source.objects.get_or_create(
        slug=Source.COMMUNITY_SLUG,
        defaults={"name": "Community", "kind": Source.Kind.COMMUNITY, "trust": 0.7},
    )
    return source


def source_list() -> QuerySet[Source]:
    return Source.objects.exclude(kind=Source.Kind.COMMUNITY).order_by("name")


def run_list(*, source: Source | None = None) -> QuerySet[HarvestRun]:
    qs = HarvestRun.objects.select_related("source").order_by("-started_at")
    return qs.filter(source=source) if source else qs
