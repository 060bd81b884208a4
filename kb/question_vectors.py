"""Question and answer vectors for clustering and drafting: "title + question text" of visible threads
and the plain text of answers, embedded once.

Vectors are stored in ``search.models.Embedding`` keyed by (text, model) through
``search.services.embeddings.embed_missing``, so a thread whose question did not change is
never embedded again, by clustering or by anyone else embedding the same text.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.core.cache import cache

from community.models import Post, Thread
from kb.engine.answers import answer_text
from kb.engine.problems import question_text
from search.engine import Embedder, embedding_key, html_to_text, markdown_to_text
from search.engine.batches import Progress, chunks
from search.models import Embedding
from search.services.embeddings import embed_missing

ROW_CHUNK = 2000
# Pages that look for a question's neighbours ("Maybe the same problem") read every stored question
# vector; every clustering run (full or after a harvest) refreshes this copy, else it is read again this often.
STORED_CACHE_SECONDS = 3600


def post_text(post: Post) -> str:
    """Plain text of a post body (HTML or Markdown)."""
    if post.body_format == Post.Format.HTML:
        return html_to_text(post.body)
    return markdown_to_text(post.body)


def question_texts(*, thread_ids: Iterable[int] | None = None) -> dict[int, str]:
    """``{thread id: title + question text}`` for visible threads (all of them when ``thread_ids`` is None).

    Ids of threads that are not visible (or gone) are left out, so the caller
    can tell which of the ids it asked about have left.
    """
    threads = Thread.objects.visible()
    if thread_ids is not None:
        wanted = sorted({int(pk) for pk in thread_ids})
        titles: dict[int, str] = {}
        for chunk in chunks(wanted, ROW_CHUNK):
            titles.update(threads.filter(pk__in=chunk).values_list("id", "title"))
    else:
        titles = dict(threads.values_list("id", "title"))
    bodies: dict[int, str] = {}
    ids = sorted(titles)
    for chunk in chunks(ids, ROW_CHUNK):
        for post in Post.objects.filter(thread_id__in=chunk, is_question=True).only(
            "id", "thread_id", "body", "body_format"
        ):
            bodies.setdefault(post.thread_id, post_text(post))
    return {pk: question_text(titles[pk], bodies.get(pk, "")) for pk in ids}


def stored_vectors(keys: list[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for chunk in chunks(sorted(set(keys)), ROW_CHUNK):
        for key, blob in Embedding.objects.filter(key__in=chunk).values_list("key", "vector"):
            found[key] = np.frombuffer(bytes(blob), dtype="<f4").astype(np.float32)
    return found


def question_vectors(
    *, thread_ids: Iterable[int] | None = None, embedder: Embedder, progress: Progress | None = None
) -> tuple[list[int], np.ndarray, int]:
    """``(thread ids, unit vectors n×d, how many texts were embedded now)`` for visible threads.

    Only texts without a stored ``Embedding`` for ``embedder.name`` go through
    the model. Row i of the matrix belongs to ``ids[i]``; ids are sorted.
    """
    texts = question_texts(thread_ids=thread_ids)
    keys = {pk: embedding_key(text, embedder.name) for pk, text in texts.items()}
    embedded = embed_missing({keys[pk]: texts[pk] for pk in texts}, embedder=embedder, progress=progress)
    vectors = stored_vectors(list(keys.values()))
    ids = [pk for pk in sorted(texts) if keys[pk] in vectors]
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32), embedded
    matrix = _unit_rows([vectors[keys[pk]] for pk in ids])
    if thread_ids is None:
        cache.set(_stored_key(embedder.name), (ids, matrix), STORED_CACHE_SECONDS)
    return ids, matrix, embedded


def _unit_rows(rows: list[np.ndarray]) -> np.ndarray:
    matrix = np.vstack(rows).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    return matrix


def _stored_key(model_name: str) -> str:
    return f"kb:question-vectors:{model_name}"


def stored_question_vectors(*, model_name: str) -> tuple[list[int], np.ndarray]:
    """``(thread ids, unit vectors)`` of visible threads whose question vector is stored, embedding nothing.

    For reads on a page: a question the clustering has not embedded yet is left out until it has.
    Cached (``STORED_CACHE_SECONDS``; a full clustering run refreshes the copy).
    """
    key = _stored_key(model_name)
    cached = cache.get(key)
    if cached is not None:
        return cached
    texts = question_texts()
    keys = {pk: embedding_key(text, model_name) for pk, text in texts.items()}
    vectors = stored_vectors(list(keys.values()))
    ids = [pk for pk in sorted(texts) if keys[pk] in vectors]
    result = (ids, _unit_rows([vectors[keys[pk]] for pk in ids])) if ids else ([], np.zeros((0, 0), np.float32))
    cache.set(key, result, STORED_CACHE_SECONDS)
    return result


def text_vectors(texts: dict[int, str], *, embedder: Embedder) -> dict[int, np.ndarray]:
    """``{id: unit vector}`` for ``{id: text}``, through the same stored embeddings (each text embedded once)."""
    keys = {pk: embedding_key(text, embedder.name) for pk, text in texts.items()}
    embed_missing({keys[pk]: texts[pk] for pk in texts}, embedder=embedder)
    found = stored_vectors(list(keys.values()))
    result = {}
    for pk, key in keys.items():
        if key in found:
            vec = found[key]
            result[pk] = vec / (np.linalg.norm(vec) or 1.0)
    return result


def answer_vectors(*, post_ids: Iterable[int], embedder: Embedder) -> dict[int, np.ndarray]:
    """``{answer post id: unit vector of its plain text}`` (``kb.engine.answers.answer_text``)."""
    texts: dict[int, str] = {}
    for chunk in chunks(sorted({int(pk) for pk in post_ids}), ROW_CHUNK):
        for post in Post.objects.filter(pk__in=chunk).only("id", "body", "body_format"):
            texts[post.pk] = answer_text(post_text(post))
    return text_vectors(texts, embedder=embedder)


def best_answers(*, thread_ids: Iterable[int]) -> dict[int, int]:
    """``{thread id: its best visible answer}``: accepted, else highest score, else the earliest."""
    best: dict[int, tuple] = {}
    for chunk in chunks(sorted({int(pk) for pk in thread_ids}), ROW_CHUNK):
        rows = Post.objects.visible().filter(thread_id__in=chunk, is_question=False).values_list(
            "thread_id", "id", "is_accepted", "score")
        for thread_id, pk, accepted, score in rows:
            key = (accepted, score, -pk)
            if thread_id not in best or key > best[thread_id][0]:
                best[thread_id] = (key, pk)
    return {t: pk for t, (_, pk) in best.items()}
