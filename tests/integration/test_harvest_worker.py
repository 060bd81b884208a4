"""A harvest queued as a Celery task runs on a real worker and its threads appear."""
from pathlib import Path

import pytest

from community.models import Thread
from harvest.models import HarvestRun
from harvest.services import source_create
from harvest.tasks import harvest_source
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DUMP = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


def test_queued_harvest_runs_on_the_worker(celery_worker):
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(DUMP),
                           base_url="https://hearthlink.stackexchange.example")
    harvest_source.delay(source.pk)
    run = wait_for(lambda: HarvestRun.objects.filter(source=source).exclude(status="running").first(), timeout=60)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.message
    assert run.new_count > 50
    assert Thread.objects.filter(source=source, is_deleted=False).count() >= 20
