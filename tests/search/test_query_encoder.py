"""One query at a time through the traced model: the same vectors as the library, on a thread of its own."""
from __future__ import annotations

import logging
import os
import select
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from search.engine.embedding import SentenceTransformerEmbedder, TracedQueryEncoder, model_thread

QUERIES = [
    "guest network password",
    "  My Beacon satellite keeps DISCONNECTING every evening!  ",
    "Café crème: naïve façade 東京 🙂",
    "?",
    "x" * 3000,  # cut at the model's token limit
    " ".join(f"firmware {i} update failed red light" for i in range(120)),
]


def test_traced_queries_get_the_librarys_vectors(embedder):
    assert embedder.query_encoder() is not None, "the default model should be traced"
    for text in QUERIES:
        vector = embedder.start_query(text).result()
        assert vector.shape == (1, 384) and vector.dtype == np.float32
        np.testing.assert_allclose(vector, embedder.encode([text]), atol=1e-5)


def test_the_caller_is_free_while_the_model_thread_embeds(embedder):
    """``start_query`` hands back before the vector exists, and the caller's Python keeps running
    meanwhile (the trace runs without the GIL): what lets ``rank`` score keywords in that time.
    Embedded eagerly, every query would be done on return and no work would fit in between."""
    long_text = QUERIES[-1]  # a forward pass over the model's full 256 tokens
    overlapped = []
    for _ in range(3):
        pending = embedder.start_query(long_text)
        steps = 0
        while not pending.done():
            steps += 1
        overlapped.append(steps)
        np.testing.assert_allclose(pending.result(), embedder.encode([long_text]), atol=1e-5)
    assert max(overlapped) > 0, "every query was embedded before start_query returned"


def test_queries_from_many_threads_each_get_their_own_vector(embedder):
    texts = [f"Beacon {i} drops off the mesh after update {i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        vectors = list(pool.map(lambda text: embedder.start_query(text).result()[0], texts))
    np.testing.assert_allclose(np.stack(vectors), embedder.encode(texts), atol=1e-5)


def test_tracing_can_be_turned_off(embedder):
    eager = SentenceTransformerEmbedder(trace_queries=False)
    assert eager.query_encoder() is None
    pending = eager.start_query(QUERIES[1])
    assert pending.done()  # embedded on the caller's thread
    np.testing.assert_allclose(pending.result(), embedder.encode([QUERIES[1]]), atol=1e-6)


@pytest.mark.parametrize("traced", [True, False])
def test_the_setting_decides_how_the_process_embeds_queries(settings, monkeypatch, traced):
    import search.embeddings as access

    monkeypatch.setattr(access, "_embedders", {})  # a new process: no embedder made yet
    settings.SEARCH_TRACE_QUERIES = traced
    assert (access.get_embedder().query_encoder() is not None) is traced


def test_a_model_that_cannot_be_traced_is_embedded_eagerly_and_says_why(embedder, caplog):
    from sentence_transformers import SentenceTransformer

    # The same weights without their pooling module: nothing to pool the trace's output with.
    bare = SentenceTransformer(modules=[embedder.model[0]], device="cpu")
    with caplog.at_level(logging.WARNING, logger="search.engine.embedding"):
        assert TracedQueryEncoder.build(bare, "bare transformer", eager=embedder.encode,
                                        lock=threading.RLock()) is None
    assert "not traced, queries are embedded eagerly" in caplog.text
    assert "bare transformer" in caplog.text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_a_model_thread_of_its_own(embedder):
    parent_thread = model_thread()
    embedder.start_query("warm the parent's model thread").result()
    expected = embedder.encode([QUERIES[0]])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its copy of the parent's thread does not run
        try:
            ok = model_thread() is not parent_thread and np.allclose(
                embedder.start_query(QUERIES[0]).result(), expected, atol=1e-5)
            os.write(write, b"ok" if ok else b"wrong")
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 120)
    if not ready:  # a child stuck on a thread it does not have: fail, do not hang the suite
        os.kill(pid, signal.SIGKILL)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read() if ready else b"no answer in 120 s"
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert model_thread() is parent_thread
