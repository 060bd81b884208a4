"""Freshness: a newly accepted answer and a newly published article are searchable within 5 seconds.

A real Celery worker on Redis does the indexing (queued by the ``threads_changed``
signal and by ``document_upsert``, no beat); this process searches the FAISS
files the worker writes, through the same ``LiveIndex`` the web processes use.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from community.models import Post
from community.services import answer_accept, answer_create, question_create
from search.backends import reset_backends
from search.backends.faiss import passage_documents
from search.backends.versions import get_live_index
from search.embeddings import embed_query
from search.services.documents import document_upsert
from search.services.rebuild import index_rebuild
from search.models import Document, Passage
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Collected before any worker starts, and the worker inherits os.environ: the worker and
# this test share an index directory of their own instead of the developer's var/index.
os.environ.setdefault("SEARCH_INDEX_DIR", tempfile.mkdtemp(prefix="gleaner-test-index-"))

FRESH_SECONDS = 5.0


@pytest.fixture
def shared_index(settings):
    settings.SEARCH_INDEX_DIR = Path(os.environ["SEARCH_INDEX_DIR"])
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_backends()
    index_rebuild()  # start from this test database, whatever earlier tests left in the directory
    yield
    reset_backends()


def top_passage(query: str) -> Passage | None:
    try:
        live = get_live_index()
    except Exception:  # noqa: BLE001 - not written yet by the worker
        return None
    hits = live.search_documents(embed_query(query), 1, lambda pid: passage_documents([pid]).get(pid))
    return Passage.objects.filter(pk=hits[0][2]).select_related("document").first() if hits else None


def test_accepted_answer_and_new_article_are_searchable_within_5_seconds(
    celery_worker, shared_index, alice, bob, tags
):
    thread = question_create(author=alice, title="Beacon keeps dropping off the mesh every evening",
                             body="Around 8 pm the Beacon ring turns amber and devices upstairs go offline.",
                             tags=["mesh", "beacon"])
    popular = answer_create(author=bob, thread=thread, body="Reboot the Beacon from the Hearthlink app.")
    Post.objects.filter(pk=popular.pk).update(score=5)
    fix = answer_create(author=bob, thread=thread,
                        body="A neighbour's network shares your channel in the evening: pin the mesh "
                             "backhaul to channel 149 in Advanced settings.")
    # Warm-up: the worker loads the model on its first task.
    wait_for(lambda: Document.objects.filter(object_id=thread.pk, text__contains="Reboot the Beacon",
                                             indexed_hash__gt="").exists(), timeout=120)
    time.sleep(0.5)  # let the worker finish saving its last version

    started = time.monotonic()
    answer_accept(user=alice, post=fix)
    found = wait_for(lambda: (p := top_passage("evening interference from the neighbours' wifi channel"))
                     and "channel 149" in p.text and p, timeout=FRESH_SECONDS)
    assert found.document.object_id == thread.pk
    assert time.monotonic() - started <= FRESH_SECONDS

    started = time.monotonic()
    article = document_upsert(
        kind="article", object_id=9001, title="Set up the HearthGuard security subscription",
        text="Open the Hearthlink app, tap HearthGuard and choose a plan; scanning starts at once.",
        url="/kb/9001/", tags="hearthguard", source="kb", visibility="public", is_active=True,
    )
    found = wait_for(lambda: (p := top_passage("how do I turn on the malware protection plan"))
                     and p.document_id == article.pk and p, timeout=FRESH_SECONDS)
    assert time.monotonic() - started <= FRESH_SECONDS
