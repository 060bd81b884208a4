"""Indexing: what gets indexed, passages within the model's limit, stored embeddings, FAISS upkeep.

Real model, real FAISS, real database; each test has its own index directory.
"""
from __future__ import annotations

import pytest
from django.conf import settings

from community.models import Post, Thread
from community.services import answer_accept, answer_create, post_hide, question_create
from search.engine import IndexUnavailable
from search.engine.embedding import resolve_model_path
from search.backends.faiss import passage_documents
from search.backends.versions import get_live_index, index_store
from search.embeddings import embed_query
from search.models import Document, Embedding, IndexState, Passage
from search.ranking import keyword_ranking
from search.services.documents import document_remove, document_upsert
from search.services.indexing import index_documents, threads_index
from search.services.rebuild import index_rebuild, schedule_rebuild

pytestmark = pytest.mark.django_db

ROUTER_FAQ = (
    "The H2 Pro keeps a rescue firmware image. Hold the reset pin for thirty seconds while you plug in "
    "the power cable; the ring pulses purple while it restores the factory firmware."
)


class CountingEmbedder:
    """The real model, counting how many texts it is asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.encoded = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def token_len(self, text: str) -> int:
        return self.inner.token_len(text)

    def encode(self, texts, *, batch_size: int = 64):
        self.encoded += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


class NoModel:
    """Stands for an absent model: any use fails the test."""

    name = settings.SEARCH_MODEL
    max_tokens = 256

    @property
    def dim(self) -> int:
        raise AssertionError("the model was needed")

    def token_len(self, text: str) -> int:
        raise AssertionError("the model was needed")

    def encode(self, texts, *, batch_size: int = 64):
        raise AssertionError("the model was needed")


def dense(query: str, k: int = 5) -> list[Document]:
    hits = get_live_index().search_documents(embed_query(query), k, lambda pid: passage_documents([pid]).get(pid))
    docs = Document.objects.in_bulk([doc_id for doc_id, _, _ in hits])
    return [docs[doc_id] for doc_id, _, _ in hits]


@pytest.fixture
def counting(embedder):
    return CountingEmbedder(embedder)


@pytest.fixture
def mesh_threads(alice, bob, tags):
    """Three community questions on different Hearthlink topics; the first has an accepted answer."""
    beacon = question_create(
        author=alice, title="Beacon satellite keeps dropping off the mesh",
        body="Every evening my Beacon loses its link to the H1 router and the ring turns amber.",
        tags=["mesh", "beacon"],
    )
    answer = answer_create(
        author=bob, thread=beacon,
        body="Move the Beacon within two rooms of the router and turn off the 2.4 GHz band steering "
             "in the Hearthlink app; the evening drops come from a neighbour's network on the same channel.",
    )
    answer_accept(user=alice, post=answer)
    update = question_create(
        author=alice, title="Firmware update stuck at 80 percent",
        body="The app shows the H1 firmware update frozen at 80% for an hour.", tags=["firmware"],
    )
    guest = question_create(
        author=bob, title="How do I give visitors Wi-Fi without sharing my password?",
        body="Friends come over and I do not want to hand out my main network key.", tags=["setup"],
    )
    return beacon, update, guest


def test_community_question_is_found_by_meaning_with_its_accepted_answer(search_index_dir, counting, mesh_threads):
    beacon, update, guest = mesh_threads
    report = threads_index(thread_ids=[t.pk for t in mesh_threads], embedder=counting)

    assert report.documents == 3 and report.version == 1
    doc = Document.objects.get(kind="question", object_id=beacon.pk)
    assert "band steering" in doc.text and doc.url == beacon.get_absolute_url()
    assert doc.tags == "beacon mesh" and doc.source == "community" and doc.is_active
    # Different words, same meaning: the dense index finds each question.
    assert dense("my wireless extender disconnects at night")[0].object_id == beacon.pk
    assert dense("update hangs and never finishes")[0].object_id == update.pk
    assert dense("let my friends get online at my house")[0].object_id == guest.pk
    assert not Thread.objects.filter(pk__in=[t.pk for t in mesh_threads], search_dirty=True).exists()


def test_accepted_answer_wins_over_a_higher_scored_one(search_index_dir, embedder, alice, bob, tags):
    thread = question_create(author=alice, title="Port forwarding for a game console",
                             body="Which ports does the H1 need open for online play?", tags=["setup"])
    first = answer_create(author=bob, thread=thread, body="Use UPnP in the advanced settings of the app.")
    second = answer_create(author=bob, thread=thread, body="Add a forwarding rule for UDP 3074 under Ports.")
    Post.objects.filter(pk=first.pk).update(score=7)
    threads_index(thread_ids=[thread.pk], embedder=embedder)
    assert "UPnP" in Document.objects.get(object_id=thread.pk).text  # no accepted answer: best scored

    answer_accept(user=alice, post=second)
    threads_index(thread_ids=[thread.pk], embedder=embedder)
    text = Document.objects.get(object_id=thread.pk).text
    assert "UDP 3074" in text and "UPnP" not in text


def test_unchanged_text_is_never_embedded_twice(search_index_dir, counting, mesh_threads):
    ids = [t.pk for t in mesh_threads]
    threads_index(thread_ids=ids, embedder=counting)
    first_pass, rows = counting.encoded, Embedding.objects.count()
    assert first_pass == Passage.objects.count() == rows > 0

    Thread.objects.filter(pk__in=ids).update(search_dirty=True, view_count=40)
    threads_index(thread_ids=ids, embedder=counting)
    index_rebuild(embedder=counting)
    assert counting.encoded == first_pass and Embedding.objects.count() == rows

    # Editing one question embeds only that question's new passage.
    Post.objects.filter(thread=mesh_threads[1], is_question=True).update(body="Stuck at 80% since midnight.")
    threads_index(thread_ids=[mesh_threads[1].pk], embedder=counting)
    assert counting.encoded == first_pass + 1


def test_rebuild_from_stored_vectors_needs_no_model(search_index_dir, embedder, mesh_threads):
    threads_index(thread_ids=[t.pk for t in mesh_threads], embedder=embedder)
    for path in search_index_dir.glob("index-*"):
        path.unlink()

    report = index_rebuild(embedder=NoModel())

    assert report.version and report.embedded == 0
    assert dense("extender disconnects at night")[0].object_id == mesh_threads[0].pk


def test_hidden_thread_leaves_dense_and_keyword_search(search_index_dir, embedder, editor, mesh_threads):
    beacon = mesh_threads[0]
    threads_index(thread_ids=[t.pk for t in mesh_threads], embedder=embedder)
    doc = Document.objects.get(object_id=beacon.pk)
    assert doc.pk in [d for d, _ in keyword_ranking("beacon dropping", depth=5)]

    post_hide(moderator=editor, post=beacon.posts.get(is_question=True))
    threads_index(thread_ids=[beacon.pk], embedder=embedder)

    doc.refresh_from_db()
    assert not doc.is_active and not doc.passages.exists()
    assert beacon.pk not in [d.object_id for d in dense("beacon satellite drops off the mesh")]
    assert doc.pk not in [d for d, _ in keyword_ranking("beacon dropping", depth=5)]


def test_long_article_is_split_within_the_token_limit_and_found_by_a_late_passage(search_index_dir, embedder):
    filler = [
        f"Section {n}. The Hearthlink app lists every Beacon with its signal bars, firmware version "
        f"and uptime, and the history tab shows when each device last reconnected to the mesh."
        for n in range(1, 25)
    ]
    body = "\n\n".join(filler + [ROUTER_FAQ])
    doc = document_upsert(kind="article", object_id=501, title="Hearthlink H2 Pro reference", text=body,
                          url="/kb/501/", tags=["h2-pro", "firmware"], source="kb", visibility="public",
                          is_active=True)
    index_documents([doc.pk], embedder=embedder)

    passages = list(doc.passages.order_by("position"))
    assert len(passages) > 3
    assert all(embedder.token_len(p.text) <= embedder.max_tokens - 2 for p in passages)
    assert all(p.text.startswith("Hearthlink H2 Pro reference\n") for p in passages)
    # The answer sits in the last passage; the document scores as its best passage.
    assert dense("how do I recover a bricked router")[0].pk == doc.pk


def test_kb_article_upsert_and_remove(search_index_dir, embedder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        doc = document_upsert(kind="article", object_id=7, title="Restore the H2 Pro firmware", text=ROUTER_FAQ,
                              url="/kb/7/", tags="h2-pro firmware", source="kb", visibility="internal",
                              is_active=True, synonyms="router is bricked\nrouter will not boot")
    doc.refresh_from_db()
    assert doc.visibility == "internal" and doc.indexed_hash == doc.content_hash
    assert doc.passages.count() == 3  # the body, then one passage per synonym line
    assert dense("my router won't start up")[0].pk == doc.pk

    with django_capture_on_commit_callbacks(execute=True):
        assert document_remove(kind="article", object_id=7)
    assert doc.pk not in [d.pk for d in dense("my router won't start up")]
    assert keyword_ranking("firmware", depth=5) == []


def test_large_collections_switch_to_hnsw_and_removals_hide_results(
    search_index_dir, settings, embedder, editor, mesh_threads
):
    settings.SEARCH_HNSW_THRESHOLD = 3
    threads_index(thread_ids=[t.pk for t in mesh_threads], embedder=embedder)
    index, meta = index_store().load_current()
    assert meta["kind"] == "hnsw" and len(index) == Passage.objects.count()

    post_hide(moderator=editor, post=mesh_threads[2].posts.get(is_question=True))
    threads_index(thread_ids=[mesh_threads[2].pk], embedder=embedder)
    assert mesh_threads[2].pk not in [d.object_id for d in dense("friends online at my house", k=3)]


def test_signal_queues_indexing_after_commit(search_index_dir, embedder, alice, bob, tags,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread = question_create(author=alice, title="Parental controls schedule ignored on weekends",
                                 body="Bedtime pause does not apply on Saturdays.", tags=["setup"])
    assert dense("kids can still use the internet late on saturday")[0].object_id == thread.pk
    assert IndexState.objects.get().passages == Passage.objects.count()


def test_model_change_reembeds_in_the_background(search_index_dir, settings, embedder, mesh_threads,
                                                 django_capture_on_commit_callbacks):
    threads_index(thread_ids=[t.pk for t in mesh_threads], embedder=embedder)
    old_rows = Embedding.objects.count()
    # The same weights under another name: every key changes, as with a new model.
    settings.SEARCH_MODEL = str(resolve_model_path(settings.SEARCH_MODEL))
    with pytest.raises(IndexUnavailable, match="model"):
        get_live_index()

    with django_capture_on_commit_callbacks(execute=True):
        schedule_rebuild("model changed")  # what the search path does; the task runs eagerly in tests

    assert Embedding.objects.filter(model_name=settings.SEARCH_MODEL).count() == old_rows
    assert dense("extender disconnects at night")[0].object_id == mesh_threads[0].pk
    assert IndexState.objects.get().model_name == settings.SEARCH_MODEL


def test_articles_written_in_one_transaction_are_indexed_in_one_batch(
    search_index_dir, embedder, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        for n in range(1, 4):
            document_upsert(kind="article", object_id=n, title=f"Beacon placement tip {n}",
                            text=f"Keep Beacon number {n} off the floor and away from the microwave.",
                            url=f"/kb/{n}/", tags="beacon", source="kb", visibility="public", is_active=True)
    assert len(callbacks) == 1
    callbacks[0]()

    assert Passage.objects.count() == 3
    assert index_store().current_version() == 1  # one save for the whole batch
