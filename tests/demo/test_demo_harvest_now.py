"""After the demo's setup, "Harvest now" still reaches its forum and board: the serving step
serves them again for as long as the site runs."""
from __future__ import annotations

from io import StringIO

import pytest

from community.models import Source
from demo.sources import demo_sources_harvest, demo_sources_serve
from harvest.models import HarvestError
from harvest.services import source_harvest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet(settings, tmp_path):
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False
    settings.DATA_DIR = tmp_path / "data"


def test_harvest_now_works_while_the_demo_serves():
    demo_sources_harvest(StringIO())  # setup: the fixture servers stop when it ends
    servers = demo_sources_serve()
    try:
        for slug in ("hearthlink-forum", "home-network-board"):
            source = Source.objects.get(slug=slug)
            run = source_harvest(source=source)
            refused = HarvestError.objects.filter(run=run, message__icontains="refused")
            assert run.status != "failed" and not refused.exists(), (run.message, list(refused.values_list("message")))
    finally:
        for server in servers:
            server.stop()
