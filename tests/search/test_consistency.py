"""Drift between the database and the indexes: reported, repaired; a broken index never takes search down."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from community.models import Thread
from community.services import question_create
from search.backends import reset_backends
from search.backends.database import FTS_TABLE
from search.backends.faiss import passage_documents
from search.backends.memory import keyword_documents
from search.backends.versions import get_live_index, index_store
from search.embeddings import embed_query
from search.engine import IndexUnavailable
from search.models import Document, IndexState, Passage
from search.ranking import keyword_ranking
from search.services.consistency import index_check, index_repair
from search.services.rebuild import index_rebuild, schedule_rebuild

pytestmark = pytest.mark.django_db

QUESTIONS = [
    ("Beacon ring blinks amber after a power cut", "The Beacon in the hallway stays amber since the outage."),
    ("HearthGuard blocked my smart doorbell", "The security subscription quarantined the doorbell camera."),
    ("Guest network password keeps changing", "Visitors say the guest key is different every week."),
    ("Port forwarding rule ignored by the H1", "I forwarded TCP 25565 but friends cannot join my server."),
]


@pytest.fixture
def indexed(search_index_dir, embedder, alice, tags):
    threads = [question_create(author=alice, title=t, body=b, tags=["setup"]) for t, b in QUESTIONS]
    index_rebuild(embedder=embedder)
    assert index_check().ok
    return threads


def dense_object_ids(query: str) -> list[int]:
    hits = get_live_index().search_documents(embed_query(query), 3, lambda pid: passage_documents([pid]).get(pid))
    object_ids = dict(Document.objects.filter(pk__in=[d for d, _, _ in hits]).values_list("id", "object_id"))
    return [object_ids[d] for d, _, _ in hits]


def test_missing_index_files_fall_back_to_keyword_and_a_rebuild_restores_dense(
    indexed, search_index_dir, django_capture_on_commit_callbacks
):
    for path in search_index_dir.glob("*"):
        path.unlink()
    reset_backends()  # a freshly started web process

    with pytest.raises(IndexUnavailable):
        get_live_index()
    assert keyword_ranking("doorbell blocked", depth=3)  # search still answers
    assert index_check().index_error

    with django_capture_on_commit_callbacks(execute=True):
        schedule_rebuild("vector index missing")  # the rebuild task runs eagerly here
    assert not IndexState.objects.get().needs_rebuild
    assert dense_object_ids("my video door camera got quarantined")[0] == indexed[1].pk


def test_corrupt_index_file_is_refused_and_reported(indexed, search_index_dir):
    store = index_store()
    faiss_file = search_index_dir / f"index-{store.current_version()}.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    reset_backends()

    with pytest.raises(IndexUnavailable, match="corrupt"):
        get_live_index()
    drift = index_check()
    assert "corrupt" in drift.index_error
    assert index_repair().ok
    assert dense_object_ids("amber light after the electricity went out")[0] == indexed[0].pk


def test_drift_is_reported_by_kind_and_repaired(indexed, settings):
    beacon, guard, guest, ports = indexed
    # A passage missing from FAISS, and an id FAISS holds that the database lost.
    index, _ = index_store().load_current()
    missing = Passage.objects.get(document__object_id=beacon.pk).pk
    index.remove([missing])
    index_store().save(index, meta={"model": settings.SEARCH_MODEL})
    Passage.objects.filter(document__object_id=ports.pk).delete()
    # A stale document (its text changed behind the indexer's back).
    Document.objects.filter(object_id=guest.pk).update(content_hash="changed")
    # A thread changed without a signal: hidden, its document still active.
    Thread.objects.filter(pk=guard.pk).update(is_hidden=True)

    drift = index_check()

    assert drift.faiss_missing == [missing]
    assert len(drift.faiss_orphaned) == 1
    assert drift.threads_unsynced == [guard.pk]
    stale = set(Document.objects.filter(object_id__in=[guest.pk, ports.pk]).values_list("id", flat=True))
    assert set(drift.documents_stale) == stale
    assert any("orphaned" in line for line in drift.lines())

    after = index_repair()

    assert after.ok, after.lines()
    reset_backends()
    assert guard.pk not in dense_object_ids("door camera quarantined by security")
    assert dense_object_ids("friends cannot connect to my game server")[0] == ports.pk


def test_keyword_index_drift_is_repaired(indexed):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE} (rowid, title, synonyms, text) VALUES (999999, 'x', '', 'y')")
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [Document.objects.first().pk])
    else:
        Document.objects.filter(pk=Document.objects.first().pk).update(search_vector=None)
    drift = index_check()
    assert drift.keyword_missing == [Document.objects.first().pk]
    assert index_repair().ok


def test_reindex_command_checks_repairs_and_rebuilds(indexed, capsys):
    Passage.objects.filter(document__object_id=indexed[0].pk).delete()
    with pytest.raises(CommandError, match="drifted"):
        call_command("reindex", "--check")
    out = capsys.readouterr().out
    assert "(stale)" in out and "(orphaned)" in out

    call_command("reindex", "--repair", "--no-progress")
    assert "consistent" in capsys.readouterr().out
    call_command("reindex", "--check")

    call_command("reindex")
    out = capsys.readouterr()
    assert "4 documents" in out.out and "vector index" in out.err  # a progress bar per stage


def test_a_passage_map_that_lost_a_document_is_reported_and_repaired(indexed):
    from dataclasses import replace

    from search.engine import KeywordIndex

    lost = Document.objects.get(object_id=indexed[2].pk).pk
    store = index_store()
    index, meta = store.load_current()
    docs = [replace(doc, passages=()) if doc.id == lost else doc for doc in keyword_documents()]
    store.save(index, meta={"model": meta["model"]}, keyword=KeywordIndex.build(docs))
    assert index_check().keyword_missing == [lost]
    assert index_repair().ok
    memory = store.load_keyword(store.current_version())
    assert set(memory.passage_documents(list(Passage.objects.filter(document_id=lost).values_list("pk", flat=True)))) \
        == {lost}


def test_a_stale_copy_of_a_documents_filter_fields_is_reported_and_repaired(indexed):
    from dataclasses import replace

    from search.engine import KeywordIndex

    stale = Document.objects.get(object_id=indexed[3].pk).pk
    store = index_store()
    index, meta = store.load_current()
    docs = [replace(doc, visibility="internal", tags="old") if doc.id == stale else doc
            for doc in keyword_documents()]
    store.save(index, meta={"model": meta["model"]}, keyword=KeywordIndex.build(docs))
    assert index_check().keyword_missing == [stale]
    assert index_repair().ok
    row = Document.objects.get(pk=stale)
    assert store.load_keyword(store.current_version()).document_filters([stale]) == [
        (row.kind, row.visibility, row.source, row.tags)]


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_the_scheduled_check_finds_deleted_or_damaged_index_files_and_rebuilds(
    indexed, search_index_dir, process_embedder, django_capture_on_commit_callbacks, damage
):
    from search.tasks import verify_index_files

    assert verify_index_files.delay().get() == {"ok": True}
    version = index_store().current_version()
    faiss_file = search_index_dir / f"index-{version}.faiss"
    if damage == "deleted":
        faiss_file.unlink()
    else:
        faiss_file.write_bytes(faiss_file.read_bytes()[:-16])
    # The web process still serves the copy it loaded; nothing else would notice until a write.

    with django_capture_on_commit_callbacks(execute=True):
        found = verify_index_files.delay().get()  # what beat sends every SEARCH_INDEX_CHECK_INTERVAL s

    assert not found["ok"] and str(version) in found["reason"]
    assert not IndexState.objects.get().needs_rebuild
    assert index_store().current_version() > version
    reset_backends()
    assert dense_object_ids("my video door camera got quarantined")[0] == indexed[1].pk
