"""What search asks of its backends: a vector backend, keyword backends and a ranker.

``SEARCH_BACKENDS`` names one class per role by dotted path (``search.backends``
loads them); the defaults are the FAISS index, the in-memory BM25 index with the
database's full-text index behind it, and score fusion. ``search.ranking``
drives a query through them, the services in ``search.services`` keep them in
step with the ``Document`` and ``Passage`` rows. docs/search.md describes the
contract a new backend has to keep.

Ids are database primary keys throughout: passage ids in the vector backend,
document ids everywhere else. Every score is higher-is-better.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # search.engine loads FAISS and more; only annotations need it here
    from search.engine import Embedder
    from search.engine.batches import Progress


class FilterHints(Protocol):
    """Documents' filter fields as an index read them: ``(kind, visibility, source, tags)`` per id,
    None for an id it does not hold. Search trusts them to allow, never to refuse
    (``Candidates.allow_known``)."""

    def document_filters(self, ids: Sequence[int]) -> list[tuple[str, str, str, str] | None]: ...


class CandidateFilter(Protocol):
    """The documents a search may return (``search.candidates``); None means every active document."""

    kinds: tuple[str, ...]

    def filter_ids(self, ids: Iterable[int]) -> set[int]: ...

    def queryset(self): ...


# --- the vector backend --------------------------------------------------------------------------


class DenseWindow(ABC):
    """The nearest passages of one query, ready to be read as documents."""

    #: The filter fields of the index version the window came from, or None.
    hints: FilterHints | None = None

    @abstractmethod
    def proposals(self) -> list[int]:
        """The documents ``documents`` will look at first, so the caller can check their candidates
        together with the keyword ranker's (one query for both)."""

    @abstractmethod
    def documents(self, *, depth: int, candidates: CandidateFilter | None) -> list[tuple[int, float, int]]:
        """``[(document id, cosine of its best passage, that passage's id)]``, best first, at most
        ``depth``, only documents ``candidates`` allow."""


class PendingDense(ABC):
    """A dense ranking whose query is still being embedded."""

    @abstractmethod
    def result(self) -> DenseWindow:
        """Wait for the query vector and search (raises ``ModelUnavailable`` / ``IndexUnavailable``)."""


class VectorBackend(ABC):
    """Passage vectors: nearest passages for a query, kept in step with the ``Passage`` rows.

    One instance per process (``search.backends.vector_backend``); it may hold
    what it loaded (an index, a connection) and must be safe to call from
    several threads.
    """

    # queries

    @abstractmethod
    def start(self, query: str, *, depth: int) -> PendingDense:
        """Begin the dense ranking of a cleaned ``query`` for ``depth`` documents; the caller works
        meanwhile (the keyword ranking) and then calls ``result()``. Raises ``IndexUnavailable`` or
        ``ModelUnavailable`` before spending model time when it cannot answer: search then ranks
        by keyword alone (and asks for a rebuild of an unusable index)."""

    def warm_up(self) -> None:
        """Load what the first query would load (a web worker calls this before its first
        request). Raises ``IndexUnavailable`` / ``ModelUnavailable``."""

    def reset(self) -> None:
        """Forget what this process loaded (tests, or after the index files were replaced)."""

    def verify(self) -> None:
        """Check that what the backend keeps outside the database (files) is there and readable,
        as the next query would find it. Raises ``IndexUnavailable``; nothing to check by default."""

    # upkeep (called by ``search.services``)

    @abstractmethod
    def apply(self, *, add_ids: list[int], remove_ids: list[int], embedder: Embedder | None = None,
              documents: Sequence[int] = (), refresh: Sequence[int] = ()) -> tuple[int | None, bool]:
        """Add the passages ``add_ids`` (their rows and stored vectors are committed) and remove
        ``remove_ids``. ``documents`` changed text or were deactivated, ``refresh`` may have changed
        their filter fields only: a backend that keeps per-document data with its vectors re-reads
        them. Returns ``(version, rebuilt)``: the version now served (None if the backend has no
        versions) and whether it had to rebuild instead of patching."""

    @abstractmethod
    def rebuild(self, *, embedder: Embedder | None = None, progress: Progress | None = None) -> int | None:
        """Build anew from every active passage (embedding those without a stored vector for
        ``SEARCH_MODEL`` first); returns the version now served."""

    @abstractmethod
    def stored_ids(self) -> set[int]:
        """Passage ids the index holds (for ``reindex --check``). Raises ``IndexUnavailable``."""


# --- keyword backends ------------------------------------------------------------------------------


class KeywordSearch(ABC):
    """One keyword query, started (maybe scored already) but not yet checked against the candidates."""

    #: The filter fields of the index that scored it, or None.
    hints: FilterHints | None = None

    def proposals(self) -> list[int]:
        """The documents ``search`` will check first (see ``DenseWindow.proposals``)."""
        return []

    @abstractmethod
    def search(self) -> list[tuple[int, float]]:
        """``[(document id, score)]``, best first, at most the ``limit`` it was started with, only
        documents the candidates allow. May raise ``DatabaseError`` (dense ranking then answers)."""


class KeywordBackend(ABC):
    """Ranks documents by the words they share with a query, kept in step with ``Document`` rows.

    ``SEARCH_BACKENDS["keyword"]`` answers; ``["keyword_fallback"]`` answers when
    it cannot (``start`` returns None). Both are kept in step by every indexing
    pass.
    """

    #: True when its index is part of each vector index version (kept by ``VectorBackend.apply`` and
    #: ``rebuild`` through their ``documents``), so it is judged only when the vector index is usable.
    saved_with_vectors = False

    @abstractmethod
    def start(self, query: str, *, limit: int, candidates: CandidateFilter | None) -> KeywordSearch | None:
        """The keyword ranking of a cleaned ``query``; None when this backend cannot answer now."""

    def reset(self) -> None:
        """Forget what this process loaded."""

    # upkeep (called by ``search.services``; inside the indexing pass's transaction)

    @abstractmethod
    def update(self, document_ids: Sequence[int]) -> None:
        """(Re)index active documents among ``document_ids`` and drop inactive ones."""

    @abstractmethod
    def remove(self, document_ids: Sequence[int]) -> None:
        """Drop these documents (deleted rows included)."""

    @abstractmethod
    def clear(self) -> None:
        """Drop everything (before a full rebuild)."""

    @abstractmethod
    def held(self, passage_documents: dict[int, int]) -> tuple[set[int], set[int]] | None:
        """For ``reindex --check``: ``(document ids it holds, ids it holds wrongly)`` given every
        active passage's document; None when it cannot tell (no index to read)."""


# --- the ranker --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document. ``dense``/``keyword`` are the rankers' raw scores (None: not retrieved).

    ``score`` orders one query's hits only (the ranker's fused score); ``relevance`` is the
    calibrated probability that the document answers the query (``search.engine.relevance``),
    set by ``search.ranking.rank`` once the ranker has combined (None before)."""

    document_id: int
    score: float
    passage_id: int | None = None
    dense: float | None = None
    keyword: float | None = None
    relevance: float | None = None


@dataclass(slots=True)
class Ranking:
    hits: list[Hit] = field(default_factory=list)
    # "hybrid", "dense", "keyword" (as configured) or "keyword-fallback" (vector backend unavailable).
    mode: str = "hybrid"


class Ranker(ABC):
    """Combines the dense and the keyword ranking of one query into the answer."""

    #: Which rankings it reads; search skips the other.
    uses_dense: bool = True
    uses_keyword: bool = True

    @classmethod
    @abstractmethod
    def from_settings(cls) -> "Ranker":
        """The ranker as configured (a search builds one per query, so settings changes apply)."""

    @property
    @abstractmethod
    def mode(self) -> str:
        """"hybrid", "dense" or "keyword": what the results say about how they were ranked."""

    @abstractmethod
    def only(self, ranking: str) -> "Ranker":
        """The ranker to use when only ``"dense"`` or only ``"keyword"`` ranking is available."""

    @abstractmethod
    def combine(self, dense: list[tuple[int, float, int | None]], keyword: list[tuple[int, float]]) -> list[Hit]:
        """Both rankings (``[(document, cosine, best passage)]`` and ``[(document, score)]``, best
        first) as one, best first."""
