"""A deleted index file is noticed by the scheduled check on the worker and rebuilt."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from community.services import question_create
from search.backends import reset_backends
from search.backends.versions import index_store
from search.services.rebuild import index_rebuild
from search.tasks import verify_index_files
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("SEARCH_INDEX_DIR", tempfile.mkdtemp(prefix="gleaner-test-index-"))


@pytest.fixture
def shared_index(settings):
    settings.SEARCH_INDEX_DIR = Path(os.environ["SEARCH_INDEX_DIR"])
    reset_backends()
    yield settings.SEARCH_INDEX_DIR
    reset_backends()


def loadable_version() -> int | None:
    try:
        index_store().load_current()
    except Exception:  # noqa: BLE001 - not rebuilt yet
        return None
    return index_store().current_version()


def test_deleted_index_file_is_rebuilt_by_the_scheduled_check(celery_worker, shared_index, settings, alice, tags):
    settings.SEARCH_AUTO_INDEX = False  # this process writes no index; the worker does the rest
    question_create(author=alice, title="Beacon ring blinks amber after a power cut",
                    body="The Beacon in the hallway stays amber since the outage.", tags=["mesh"])
    index_rebuild()
    version = index_store().current_version()
    (shared_index / f"index-{version}.faiss").unlink()
    assert loadable_version() is None

    verify_index_files.delay()  # what beat sends every SEARCH_INDEX_CHECK_INTERVAL seconds

    rebuilt = wait_for(loadable_version, timeout=120)
    assert rebuilt > version
