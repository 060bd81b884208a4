"""Search reads: ranked, filtered, permission-checked results with snippets.

``search_documents`` is what the API, the results page, the header suggestions
and the agent console call. It cleans the query, restricts the candidates to
what the user may see and asked for, ranks, re-checks the rows it is about to
return against their source tables, builds snippets and logs the query (after
the response, see ``search.services.query_log``). ``docs/search.md`` walks the
path; ``bench/performance-log.md`` says what each stage costs.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q

from community.models import Source, Tag

from search import permissions
from search.backends.base import Hit, Ranker
from search.engine.query import clean_query
from search.engine.relevance import no_good_match, relevance_words
from search.engine.snippets import make_snippet
from search.models import Document, Passage
from search.ranking import rank
from search.services.query_log import query_log_record
from search.sql import id_in

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
    # Calibrated probability that this result answers the query (``search.engine.relevance``);
    # ``score`` only orders one query's results.
    relevance: float = 0.0

    @property
    def kind_label(self) -> str:
        return Document.Kind(self.kind).label

    @property
    def weak(self) -> bool:
        """Below ``SEARCH_RELEVANCE_FLOOR``: unlikely to answer the query."""
        return self.relevance < settings.SEARCH_RELEVANCE_FLOOR

    @property
    def relevance_label(self) -> str:
        """``relevance`` in words ("Likely to help", "May help", "Unlikely to help")."""
        return relevance_words(self.relevance, floor=settings.SEARCH_RELEVANCE_FLOOR)


class SearchResults(list):
    """A list of ``SearchResult`` that also says how it was ranked and what was searched."""

    def __init__(self, results: Iterable[SearchResult] = (), *, query: str = "", mode: str = "hybrid",
                 floor: float | None = None):
        super().__init__(results)
        self.query = query
        self.mode = mode
        self.floor = settings.SEARCH_RELEVANCE_FLOOR if floor is None else floor

    @property
    def no_good_match(self) -> bool:
        """True when no result clears the relevance floor (no result at all included)."""
        return no_good_match([r.relevance for r in self], floor=self.floor)

    @property
    def top_relevance(self) -> float:
        return max((r.relevance for r in self), default=0.0)

    def good(self) -> list[SearchResult]:
        """The results that clear the floor, best first."""
        return [r for r in self if r.relevance >= self.floor]

    @property
    def degraded(self) -> bool:
        """True when semantic search was unavailable and keyword search answered alone."""
        return self.mode == "keyword-fallback"


def _passage_text(title: str, text: str, passage: str | None) -> str:
    if passage is None:
        return text
    # Passages repeat the title on their first line for the model; the result shows it already.
    prefix = f"{' '.join(title.split())}\n"
    return passage[len(prefix):] if passage.startswith(prefix) else passage


def search_documents(
    *,
    query: str,
    user,
    kinds: Iterable[str] | None = None,
    tag: str | None = None,
    source: str | None = None,
    limit: int = 10,
    channel: str = "web",
    ranker: Ranker | None = None,
    log: bool = True,
    exclude: Iterable[tuple[str, int]] = (),
) -> SearchResults:
    """Search everything ``user`` may see; best first, each result with its calibrated ``relevance``
    (``no_good_match`` on the list when none clears ``SEARCH_RELEVANCE_FLOOR``).

    Raises ``QueryError`` when ``query`` holds nothing searchable and
    ``ServiceError`` for a bad filter (both carry a message for the user).
    Long queries are truncated by ``clean_query``; ``limit`` is clamped to
    1..``MAX_LIMIT``. ``user`` may be anonymous or ``None``. ``ranker`` defaults to
    the configured one. ``exclude`` names ``(kind, object id)`` pairs never to rank, such
    as the article a "related articles" list is shown on: left in, it would be the best
    match and make every other result look far behind it.
    """
    cleaned = clean_query(query)
    kinds = tuple(dict.fromkeys([kinds] if isinstance(kinds, str) else (kinds or ())))
    permissions.check_search_filters(kinds=kinds, tag=tag, source=source)
    limit = max(1, min(int(limit), MAX_LIMIT))

    visibilities = permissions.allowed_visibilities(user)
    excluded = _document_ids(exclude)
    candidates = permissions.search_candidates(user, visibilities=visibilities, kinds=kinds, tag=tag, source=source,
                                               exclude=excluded)

    # Relevance is judged among everything the user may see: a type, tag or source filter narrows
    # what is shown, never how likely a result is to answer.
    judged_among = (permissions.search_candidates(user, visibilities=visibilities, exclude=excluded)
                    if kinds or tag or source else None)
    ranking = rank(cleaned, limit=limit, candidates=candidates, ranker=ranker, judged_among=judged_among)
    results = SearchResults(_materialize(ranking.hits, cleaned, user=user, visibilities=visibilities,
                                         candidates=candidates),
                            query=cleaned, mode=ranking.mode)
    if log:
        _log(cleaned, user=user, channel=channel, results=results)
    return results


def _document_ids(objects: Iterable[tuple[str, int]]) -> list[int]:
    condition = Q()
    for kind, object_id in objects:
        condition |= Q(kind=kind, object_id=object_id)
    return list(Document.objects.filter(condition).values_list("pk", flat=True)) if condition else []


# What a result shows, read in the one query that also re-checks visibility.
_RESULT_FIELDS = ("id", "kind", "object_id", "title", "url", "tags", "source", "visibility", "is_active", "text")


def _result_rows(hits: list[Hit]) -> dict[int, dict]:
    """The hits' documents by id (``_RESULT_FIELDS``), each with its best passage's text
    (``passage_text``, None without one) and whether its source thread is still shown
    (``thread_visible``, the permission re-check of ``permissions.recheck_documents``).

    One round trip, in SQL rather than the ORM: building the same query through the
    ORM (two subqueries) cost more than running it. Not the tsvector nor the synonyms:
    neither is shown, and both can be long. A document holds at most one of the
    hits' passages (a document scores as its best one).
    """
    doc_ids = [hit.document_id for hit in hits]
    passage_ids = [hit.passage_id for hit in hits if hit.passage_id is not None] or [-1]
    visible_sql, visible_params = permissions.visible_source_sql("d")
    columns = ", ".join(f"d.{Document._meta.get_field(name).column}" for name in _RESULT_FIELDS)
    passages_sql, passages_params = id_in("p.id", passage_ids)
    documents_sql, documents_params = id_in("d.id", doc_ids)
    sql = (
        f"SELECT {columns}, "
        f"(SELECT p.text FROM {Passage._meta.db_table} p WHERE p.document_id = d.id "
        f"AND {passages_sql} LIMIT 1), {visible_sql} "
        f"FROM {Document._meta.db_table} d WHERE {documents_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*passages_params, *visible_params, *documents_params])
        names = (*_RESULT_FIELDS, "passage_text", "thread_visible")
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def _materialize(hits: list[Hit], query: str, *, user, visibilities, candidates=None) -> list[SearchResult]:
    """The hits as results, each re-checked on its row just read: still visible to ``user`` and,
    with ``candidates``, still matching every filter (the rankers may have decided on the
    fields the index version read)."""
    if not hits:
        return []
    by_id = _result_rows(hits)
    results = []
    for hit in hits:
        row = by_id.get(hit.document_id)
        if row is None or not permissions.source_still_visible(
                kind=row["kind"], visibility=row["visibility"], is_active=bool(row["is_active"]),
                thread_visible=bool(row["thread_visible"]), visibilities=visibilities):
            continue
        if candidates is not None and not candidates.allows(
                bool(row["is_active"]), row["visibility"], row["kind"], row["tags"], row["source"]):
            continue
        text = row["text"]
        best = row["passage_text"] if hit.passage_id is not None else None
        passage = _passage_text(row["title"], text, best)
        if row["kind"] == "article" and best is not None and text and " ".join(passage.split()) not in " ".join(
                text.split()):
            # The article's other phrasings (its synonyms) have passages of their own; shown as its snippet or
            # matched passage, another customer's question would read as what the article says.
            passage = text
        snippet = make_snippet(passage, query)
        if "<mark>" not in snippet and best is not None and text:
            # The best passage matched by meaning, not by words; the text may still show the words.
            fallback = make_snippet(text, query)
            snippet = fallback if "<mark>" in fallback else snippet
        results.append(
            SearchResult(
                title=row["title"],
                kind=row["kind"],
                url=row["url"],
                snippet_html=snippet,
                score=round(hit.score, 6),
                document_id=row["id"],
                object_id=row["object_id"],
                tags=tuple(row["tags"].split()),
                source=row["source"],
                passage=passage,
                dense_score=hit.dense,
                keyword_score=hit.keyword,
                relevance=hit.relevance if hit.relevance is not None else 0.0,
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
        top_relevance=results.top_relevance,
    )


# --- the results page's filter choices and labels ------------------------------------------------

FILTER_TAGS_MAX = 200
FILTER_CACHE_SECONDS = 300
KB_SOURCE = "kb"
KB_SOURCE_LABEL = "Knowledge base"


def source_labels() -> dict[str, str]:
    """Each document source slug with the name people read ("kb" is the knowledge base). Cached."""
    labels = cache.get("search:source-labels")
    if labels is None:
        labels = {KB_SOURCE: KB_SOURCE_LABEL, **dict(Source.objects.values_list("slug", "name"))}
        cache.set("search:source-labels", labels, FILTER_CACHE_SECONDS)
    return labels


def source_label(slug: str) -> str:
    return source_labels().get(slug, slug)


def tag_labels(names: Iterable[str]) -> dict[str, str]:
    """``{tag name: the label readers see}`` for those of ``names`` whose source wrote them otherwise
    (``wifi-mesh`` → ``wifi/mesh``); a name missing from the result is shown as it is."""
    names = list(names)
    if not names:
        return {}
    return dict(Tag.objects.filter(name__in=names).exclude(label="").values_list("name", "label"))


def search_filter_choices(*, user) -> dict[str, list[tuple[str, str]]]:
    """The results page's type, tag and source choices: only what exists among the documents ``user``
    may find. Tags are the ``FILTER_TAGS_MAX`` most used ones, by name, shown by their label (``wifi/mesh``
for ``wifi-mesh``); sources by their label. Cached
    per set of visibilities for ``FILTER_CACHE_SECONDS`` (a new tag shows up within minutes)."""
    visibilities = permissions.allowed_visibilities(user)
    key = "search:filter-choices:" + ",".join(sorted(visibilities))
    choices = cache.get(key)
    if choices is None:
        documents = Document.objects.filter(is_active=True, visibility__in=visibilities)
        counts: Counter[str] = Counter()
        for tags, n in documents.values_list("tags").annotate(n=Count("id")).order_by():
            for tag in tags.split():
                counts[tag] += n
        tags = sorted(tag for tag, _ in counts.most_common(FILTER_TAGS_MAX))
        slugs = set(documents.values_list("source", flat=True).distinct().order_by())
        sources = sorted(((slug, source_label(slug)) for slug in slugs if slug), key=lambda pair: pair[1].casefold())
        present = set(documents.values_list("kind", flat=True).distinct().order_by())
        kinds = [(value, label) for value, label in Document.Kind.choices if value in present]
        labels = tag_labels(tags)
        choices = {"kinds": kinds, "tags": [(tag, labels.get(tag, tag)) for tag in tags], "sources": sources}
        cache.set(key, choices, FILTER_CACHE_SECONDS)
    return choices
