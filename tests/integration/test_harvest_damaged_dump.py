"""A damaged dump harvested by a real worker marks nothing deleted; the run says why."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from community.models import Post, Thread
from harvest.models import HarvestRun
from harvest.services import source_create
from harvest.tasks import harvest_source
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DUMP = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


def finished_runs(source) -> list[HarvestRun]:
    return list(HarvestRun.objects.filter(source=source).exclude(status=HarvestRun.Status.RUNNING)
                .order_by("started_at"))


def visible(source) -> tuple[int, int]:
    return (Thread.objects.filter(source=source, is_deleted=False).count(),
            Post.objects.filter(thread__source=source, is_deleted=False).count())


def test_truncated_dump_harvested_by_the_worker_hides_nothing(celery_worker, tmp_path):
    dump = tmp_path / "dump"
    shutil.copytree(DUMP, dump)
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(dump))
    harvest_source.delay(source.pk)
    (first,) = wait_for(lambda: finished_runs(source), timeout=120)
    assert first.status == HarvestRun.Status.SUCCEEDED, first.message
    before = visible(source)
    posts = dump / "Posts.xml"
    data = posts.read_bytes()
    posts.write_bytes(data[: len(data) // 2])

    harvest_source.delay(source.pk)
    runs = wait_for(lambda: (found := finished_runs(source)) and len(found) == 2 and found, timeout=120)

    damaged = runs[1]
    assert damaged.status == HarvestRun.Status.PARTIAL and damaged.deleted_count == 0
    assert "nothing was marked deleted" in damaged.message
    assert damaged.errors.filter(item="Posts.xml", message__contains="malformed XML").exists()
    assert visible(source) == before
