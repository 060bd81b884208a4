"""Two indexing runs over the same threads at once converge: no IntegrityError on
``search_document_unique`` or ``search_passage_position``, and the stored documents and
passages are those one run alone writes. Likewise two processes upserting the same
articles' documents (``document_upsert``) at once.

Two real processes (what a worker and ``manage.py demo`` are) on the test database; each
loads the model, then both start indexing at the same moment. PostgreSQL only: SQLite
serialises writers, so the collision cannot happen there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from community.models import Thread
from harvest.services import source_create, source_harvest
from search.models import Document, Passage
from search.services.documents import document_hash
from search.services.indexing import threads_index
from tests.integration.conftest import REPO, _database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HEARTHLINK = REPO / "fixtures" / "harvest" / "stackexchange" / "hearthlink"

# Each run waits until both have loaded the model, so their read-then-write windows overlap.
RUN = """
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from search.embeddings import get_embedder
from search.services.documents import document_hash
from search.services.indexing import threads_index
get_embedder().encode(["warm up"])
barrier, me, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
open(os.path.join(barrier, me), "w").close()
deadline = time.monotonic() + 120
while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
report = threads_index(thread_ids=ids)
print(json.dumps({"documents": report.documents, "added": report.passages_added}))
"""


def end_state() -> tuple[set, set]:
    documents = set(Document.objects.values_list("kind", "object_id", "content_hash", "indexed_hash", "is_active"))
    passages = set(Passage.objects.values_list("document__object_id", "position", "embedding_key"))
    return documents, passages


@pytest.fixture
def harvested(settings):
    settings.SEARCH_AUTO_INDEX = False
    source = source_harvest(source=source_create(name="Hearthlink SE", kind="stackexchange",
                                                 path=str(HEARTHLINK))).source
    return sorted(Thread.objects.filter(source=source).values_list("id", flat=True))


def test_two_indexing_runs_at_once_converge_without_errors(harvested, tmp_path, search_index_dir):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers collide on PostgreSQL; set DATABASE_URL=postgres://…")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "SEARCH_INDEX_DIR": str(search_index_dir), "CELERY_TASK_ALWAYS_EAGER": "true",
           "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false"}
    runs = [subprocess.Popen([sys.executable, "-c", RUN, str(barrier), name, json.dumps(harvested)],
                             cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("first", "second")]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-3000:]
        assert "IntegrityError" not in err
    concurrent = end_state()
    assert len(concurrent[0]) == len(harvested)
    assert all(indexed == content for _, _, content, indexed, _ in concurrent[0])

    # What one run alone writes: start over and index once.
    Document.objects.all().delete()
    threads_index(thread_ids=harvested)
    assert end_state() == concurrent


# Two writers of the same articles' documents (a worker publishing, ``manage.py demo`` loading):
# each upserts every article, first as created, then as edited, in the same order, in step.
UPSERT = """
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from search.services.documents import document_upsert
barrier, me, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
open(os.path.join(barrier, me), "w").close()
deadline = time.monotonic() + 60
while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
    time.sleep(0.001)
for edition in (1, 2):
    for n in ids:
        document_upsert(kind="article", object_id=n, title=f"Beacon placement tip {n}, edition {edition}",
                        text=f"Keep Beacon {n} away from the microwave (edition {edition}).",
                        url=f"/kb/articles/{n}/", tags=["beacon", "mesh"], source="kb",
                        visibility="public", is_active=True, synonyms=f"where to put beacon {n}")
"""


def test_two_processes_upserting_the_same_documents_converge(tmp_path, search_index_dir):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers collide on PostgreSQL; set DATABASE_URL=postgres://…")
    ids = list(range(1, 301))
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    # Indexing is queued after each commit; an in-memory broker takes the tasks and nobody runs them.
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), "CELERY_BROKER_URL": "memory://",
           "CELERY_TASK_ALWAYS_EAGER": "false", "SEARCH_INDEX_DIR": str(search_index_dir)}
    runs = [subprocess.Popen([sys.executable, "-c", UPSERT, str(barrier), name, json.dumps(ids)],
                             cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("first", "second")]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (_, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-3000:]
        assert "IntegrityError" not in err
    documents = Document.objects.filter(kind=Document.Kind.ARTICLE)
    assert sorted(documents.values_list("object_id", flat=True)) == ids
    for doc in documents:
        n = doc.object_id
        assert doc.title == f"Beacon placement tip {n}, edition 2"
        assert doc.content_hash == document_hash(title=doc.title, text=doc.text, synonyms=doc.synonyms)
        assert doc.text == f"Keep Beacon {n} away from the microwave (edition 2)."
        assert (doc.tags, doc.source, doc.is_active) == ("beacon mesh", "kb", True)
