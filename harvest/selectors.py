"""Reads for sources and runs."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from community.models import Source
from harvest.models import HarvestRun


def source_list() -> QuerySet[Source]:
    return Source.objects.exclude(kind=Source.Kind.COMMUNITY).order_by("name")


def run_list(*, source: Source | None = None) -> QuerySet[HarvestRun]:
    qs = HarvestRun.objects.select_related("source").order_by("-started_at")
    return qs.filter(source=source) if source else qs


def source_is_due(source: Source, now=None) -> bool:
    """An enabled, scheduled outside source whose last run is at least ``schedule_minutes`` old (or never ran)."""
    if not source.enabled or not source.schedule_minutes or source.kind == Source.Kind.COMMUNITY:
        return False
    if source.last_run_at is None:
        return True
    now = now or timezone.now()
    return (now - source.last_run_at).total_seconds() >= source.schedule_minutes * 60


def source_next_run_at(source: Source):
    """When beat will next start ``source`` (None: not scheduled); a due source starts within a minute."""
    if not source.enabled or not source.schedule_minutes or source.kind == Source.Kind.COMMUNITY:
        return None
    if source.last_run_at is None:
        return timezone.now()
    return max(source.last_run_at + timedelta(minutes=source.schedule_minutes), timezone.now())


def harvest_due_sources(*, now=None) -> list[int]:
    """Ids of enabled sources whose schedule says they are due."""
    return [source.pk for source in Source.objects.filter(enabled=True, schedule_minutes__gt=0)
            if source_is_due(source, now)]


def run_gave_nothing(run: HarvestRun) -> bool:
    """True when the run failed, or read no post at all where it should have.

    A Discourse run that finds no topic active since the last one reads nothing and is
    fine; any other run that read no post (an empty dump, a forum whose list page is
    gone) or whose only outcome is failed items is not.
    """
    if run.status == HarvestRun.Status.FAILED:
        return True
    read = run.new_count + run.updated_count + run.unchanged_count
    if read:
        return False
    return bool(run.failed_count) or run.source.kind != Source.Kind.DISCOURSE
