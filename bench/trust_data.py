"""Shared-data loaders for the trust benchmarks (problem clusters, answers, conflicts).

Not a benchmark itself: the scripts in ``bench/`` that measure issue 16's parts
import it. Everything returns plain data in the CLUSTERS.json thread shape that
``bench/draft.py`` reads::

    {"id", "title", "question", "tags": [], "created", "score",
     "answers": [{"id", "text", "score", "accepted", "created"}]}

A Stack Exchange dump goes through the product's own importer
(``harvest.engine.importers.stackexchange``) and text extraction (``search.engine``);
StackFAQ is read from its XML. Embeddings go through the shipped model and are
cached on disk by text hash (``GLEANER_BENCH_CACHE``, default: the system temp
folder), so each text is embedded once across runs and scripts.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The repository before bench/, whose harvest.py would hide the harvest app.
sys.path.insert(0, str(REPO))

SITES = ("stackexchange-beer", "stackexchange-cardano", "stackexchange-genai")


def data_dir(given: str | os.PathLike | None = None) -> Path:
    """The shared data folder: the argument, else ``GLEANER_SHARED_DATA``, else ``../shared/data``."""
    path = Path(given or os.environ.get("GLEANER_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        raise SystemExit(f"shared data not found at {path}: pass it on the command line or set GLEANER_SHARED_DATA")
    return path


@dataclass
class Site:
    name: str
    threads: list[dict]
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (duplicate, original)
    related: list[tuple[str, str]] = field(default_factory=list)

    def by_id(self) -> dict[str, dict]:
        return {t["id"]: t for t in self.threads}


def load_site(folder: Path) -> Site:
    """Every question of a Stack Exchange dump with its answers, plus its duplicate/related links."""
    from harvest.engine.importers.stackexchange.importer import StackExchangeDumpImporter
    from harvest.engine.records import LinkRecord, PostRecord, ThreadRecord
    from search.engine import html_to_text

    threads: dict[str, dict] = {}
    answers: list[PostRecord] = []
    dups, related = [], []
    for record, _ in StackExchangeDumpImporter(folder).iter_records():
        if isinstance(record, ThreadRecord):
            q = record.posts[0]
            threads[record.external_id] = {
                "id": record.external_id, "title": record.title, "question": html_to_text(q.body_html),
                "tags": list(record.tags), "created": _iso(record.created_at), "score": record.score,
                "closed_as_duplicate_of": record.duplicate_of_external_id or None,
                "answers": [],
            }
        elif isinstance(record, PostRecord) and not record.is_question:
            answers.append(record)
        elif isinstance(record, LinkRecord):
            (dups if record.kind == "duplicate" else related).append((record.from_external_id, record.to_external_id))
    for a in answers:
        thread = threads.get(a.thread_external_id)
        if thread is not None:
            thread["answers"].append({"id": a.external_id, "text": html_to_text(a.body_html), "score": a.score,
                                      "accepted": a.is_accepted, "created": _iso(a.created_at)})
    known = set(threads)
    keep = lambda pairs: [(a, b) for a, b in pairs if a in known and b in known and a != b]  # noqa: E731
    return Site(folder.name, list(threads.values()), keep(dups), keep(related))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@dataclass
class StackFaq:
    titles: list[str]  # one per group: the original question title
    answers: list[list[str]]  # per group
    paraphrases: list[list[str]]  # per group, 10 each


def load_stackfaq(folder: Path) -> StackFaq:
    from lxml import etree

    root = etree.parse(str(folder / "stackExchange-FAQ.xml")).getroot()
    titles, answers, paraphrases = [], [], []
    for pair in root.iter("qapair"):
        titles.append(" ".join((pair.findtext("question") or "").split()))
        answers.append([" ".join((a.text or "").split()) for a in pair.iter("answer")])
        paraphrases.append([" ".join((r.text or "").split()) for r in pair.iter("rephr")
                            if (r.text or "").strip() not in ("", "*")])
    return StackFaq(titles, answers, paraphrases)


# --- embeddings --------------------------------------------------------------------------

_embedder = None


def embedder():
    global _embedder
    if _embedder is None:
        from search.engine.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

        _embedder = SentenceTransformerEmbedder(os.environ.get("SEARCH_MODEL", DEFAULT_MODEL), trace_queries=False)
    return _embedder


def _cache_file() -> Path:
    root = Path(os.environ.get("GLEANER_BENCH_CACHE") or tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    return root / f"gleaner-trust-vectors-{embedder().name}.npz"


_memo: dict[str, np.ndarray] | None = None


def embed(texts: list[str]) -> np.ndarray:
    """Unit rows for ``texts`` with the shipped model; new texts are embedded once and cached on disk."""
    global _memo
    path = _cache_file()
    if _memo is None:
        _memo = {}
        if path.exists():
            data = np.load(path)
            _memo = dict(zip(map(str, data["keys"]), data["vectors"]))
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in _memo}.items())
    if missing:
        vecs = embedder().encode([t for _, t in missing], batch_size=32)
        for (k, _), v in zip(missing, vecs):
            _memo[k] = np.asarray(v, np.float32)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(_memo)), vectors=np.vstack(list(_memo.values())).astype(np.float32))
        os.replace(tmp, path)
    if not texts:
        return np.zeros((0, 384), np.float32)
    return np.vstack([_memo[k] for k in keys]).astype(np.float32)


# --- the product's inputs built from plain threads ----------------------------------------


def question_vectors(threads: list[dict]) -> np.ndarray:
    from kb.engine.problems import question_text

    return embed([question_text(t["title"], t.get("question", "")) for t in threads])


def best_answer_vectors(threads: list[dict], rows: set[int] | None = None) -> dict[int, np.ndarray]:
    """Row → unit vector of that thread's best answer, for ``rows`` (all when None) that have one."""
    from kb.engine.answers import answer_text, best_answer

    wanted = range(len(threads)) if rows is None else sorted(rows)
    picked = {i: best_answer(threads[i]["answers"]) for i in wanted}
    picked = {i: a for i, a in picked.items() if a is not None}
    vecs = embed([answer_text(a["text"]) for a in picked.values()])
    return dict(zip(picked, vecs))


def problem_questions(threads: list[dict], *, links: bool = False, vectors: np.ndarray | None = None):
    """``kb.engine.problems.Question`` rows for ``threads``; answers embedded only where the rule may need them.

    ``links``: pass the source's duplicate links (``closed_as_duplicate_of``) to the clustering.
    """
    from kb.engine.problems import JoinRule, Question, candidate_pairs

    vectors = question_vectors(threads) if vectors is None else vectors
    rule = JoinRule.fitted()
    need = {i for i, j, _ in candidate_pairs(vectors, min_similarity=rule.min_similarity) for i in (i, j)}
    if links:
        ids = {t["id"]: i for i, t in enumerate(threads)}
        need |= {ids[t["closed_as_duplicate_of"]] for t in threads if t.get("closed_as_duplicate_of") in ids}
    answers = best_answer_vectors(threads, need)
    out = []
    for i, t in enumerate(threads):
        best = next((a for a in t["answers"] if a["accepted"]), None)
        out.append(Question(
            id=t["id"], vector=vectors[i], answer_vector=answers.get(i), accepted=best is not None,
            score=int(t.get("score") or 0), duplicate_of=t.get("closed_as_duplicate_of") if links else None,
            title=t["title"],
        ))
    return out
