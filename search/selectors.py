"""Search reads: ranked, filtered, permission-checked results with snippets.

``search_documents`` is what the API, the results page, the header suggestions
and the agent console call. It cleans the query, restricts the candidates to
what the user may see and asked for, ranks, re-checks the rows it is about to
return against their source tables, builds snippets and logs the query (after
the response, see ``search.query_log``). ``docs/search.md`` says what each
stage costs.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from search import permissions
from search.engine.query import clean_query
from search.engine.snippets import make_snippet
from search.models import Document, Passage
from search.query_log import query_log_record
from search.ranking import FusionConfig, Hit, rank

logger = logging.getLogger(__name__)

MAX_LIMIT = 50
CHANNELS = ("web", "api", "suggest", "agent")


@dataclass(frozen=True, slots=True)
class SearchResult:
    title: str
    kind: str
    url: str
    snippet_html: str  # HTML-safe: source text escaped, only <mark> added
    score: float
    document_id: int
    object_id: int
    tags: tuple[str, ...]
    source: str
    passage: str  # plain text of the best-matching passage (or the document's opening)
    dense_score: float | None = None
    keyword_score: float | None = None

    @property
    def kind_label(self) -> str:
        return Document.Kind(self.kind).label


class SearchResults(list):
    """A list of ``SearchResult`` that also says how it was ranked and what was searched."""

    def __init__(self, results: Iterable[SearchResult] = (), *, query: str = "", mode: str = "hybrid"):
        super().__init__(results)
        self.query = query
        self.mode = mode

    @property
    def degraded(self) -> bool:
        """True when semantic search was unavailable and keyword search answered alone."""
        return self.mode == "keyword-fallback"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    kinds: tuple[str, ...] = field(default_factory=tuple)
    tag: str | None = None
    source: str | None = None


def _passage_text(document: Document, passage: Passage | None) -> str:
    if passage is None:
        return document.text
    text = passage.text
    # Passages repeat the title on their first line for the model; the result shows it already.
    prefix = f"{' '.join(document.title.split())}\n"
    return text[len(prefix):] if text.startswith(prefix) else text


def search_documents(
    *,
    query: str,
    user,
    kinds: Iterable[str] | None = None,
    tag: str | None = None,
    source: str | None = None,
    limit: int = 10,
    channel: str = "web",
    config: FusionConfig | None = None,
    log: bool = True,
) -> SearchResults:
    """Search everything ``user`` may see; best first.

    Raises ``QueryError`` when ``query`` holds nothing searchable and
    ``ServiceError`` for a bad filter (both carry a message for the user).
    Long queries are truncated by ``clean_query``; ``limit`` is clamped to
    1..``MAX_LIMIT``. ``user`` may be anonymous or ``None``.
    """
    cleaned = clean_query(query)
    kinds = tuple(dict.fromkeys([kinds] if isinstance(kinds, str) else (kinds or ())))
    permissions.check_search_filters(kinds=kinds, tag=tag, source=source)
    limit = max(1, min(int(limit), MAX_LIMIT))

    visibilities = permissions.allowed_visibilities(user)
    candidates = permissions.search_candidates(user, visibilities=visibilities, kinds=kinds, tag=tag, source=source)

    ranking = rank(cleaned, limit=limit, candidates=candidates, config=config)
    results = SearchResults(_materialize(ranking.hits, cleaned, user=user, visibilities=visibilities),
                            query=cleaned, mode=ranking.mode)
    if log:
        _log(cleaned, user=user, channel=channel, results=results)
    return results


def _materialize(hits: list[Hit], query: str, *, user, visibilities) -> list[SearchResult]:
    if not hits:
        return []
    # Not the tsvector (PostgreSQL) nor the synonyms: neither is shown, and both can be long.
    rows = Document.objects.defer("search_vector", "synonyms").in_bulk([hit.document_id for hit in hits])
    allowed = {doc.pk for doc in permissions.recheck_documents(rows.values(), user=user, visibilities=visibilities)}
    passages = Passage.objects.only("id", "text").in_bulk(
        [hit.passage_id for hit in hits if hit.passage_id is not None])
    results = []
    for hit in hits:
        document = rows.get(hit.document_id)
        if document is None or document.pk not in allowed:
            continue
        passage = _passage_text(document, passages.get(hit.passage_id) if hit.passage_id is not None else None)
        snippet = make_snippet(passage, query)
        if "<mark>" not in snippet and passage is not document.text and document.text:
            # The best passage matched by meaning, not by words; the text may still show the words.
            fallback = make_snippet(document.text, query)
            snippet = fallback if "<mark>" in fallback else snippet
        results.append(
            SearchResult(
                title=document.title,
                kind=document.kind,
                url=document.url,
                snippet_html=snippet,
                score=round(hit.score, 6),
                document_id=document.pk,
                object_id=document.object_id,
                tags=tuple(document.tags.split()),
                source=document.source,
                passage=passage,
                dense_score=hit.dense,
                keyword_score=hit.keyword,
            )
        )
    return results


def _log(query: str, *, user, channel: str, results: SearchResults) -> None:
    query_log_record(
        query=query[:512],
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        channel=channel if channel in CHANNELS else "web",
        results=min(len(results), 32767),
        top_score=results[0].score if results else 0.0,
    )
