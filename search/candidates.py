"""The documents a search may return: the filter the rankers receive.

``permissions.search_candidates`` builds one from what the caller may see and
the filters they asked for; the backends check the ids they propose against it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet

from search.models import Document
from search.sql import id_in


def tag_condition(tag: str) -> Q:
    """``Document.tags`` holds space-separated names: match one whole name."""
    return Q(tags=tag) | Q(tags__startswith=f"{tag} ") | Q(tags__endswith=f" {tag}") | Q(tags__contains=f" {tag} ")


@dataclass(frozen=True, slots=True)
class Candidates:
    """The documents a search may return: active, of an allowed visibility, and matching the filters.

    One rule, applied two ways with the same meaning: ``queryset()`` inside SQL,
    and ``filter_ids()`` on the few ids a ranker proposes, read by primary key.
    The rankers use the second: a filter that matches most of the table (every
    public document, every article) is cheap by key but costly as a subquery,
    and without statistics SQLite picks the kind index for it (seconds at 100k).
    """

    visibilities: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    tag: str | None = None
    source: str | None = None
    # Documents never to return (the article or thread a "related" list is shown on).
    excluded: frozenset[int] = frozenset()
    # Decisions already read (document id -> allowed), so one search reads a row once
    # whether the dense or the keyword ranker proposed it first.
    decided: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)

    FIELDS = ("is_active", "visibility", "kind", "tags", "source")

    def __post_init__(self) -> None:
        # Decided as refused up front, so neither ``allow_known`` nor ``filter_ids`` lets them in.
        self.decided.update(dict.fromkeys(self.excluded, False))

    def queryset(self) -> QuerySet[Document]:
        qs = Document.objects.filter(is_active=True, visibility__in=self.visibilities).exclude(pk__in=self.excluded)
        if self.kinds:
            qs = qs.filter(kind__in=self.kinds)
        if self.tag:
            qs = qs.filter(tag_condition(self.tag))
        if self.source:
            qs = qs.filter(source=self.source)
        return qs

    def allows(self, is_active: bool, visibility: str, kind: str, tags: str, source: str) -> bool:
        """The ``queryset()`` condition for one row's ``FIELDS``."""
        return bool(
            is_active and visibility in self.visibilities
            and (not self.kinds or kind in self.kinds)
            and (not self.tag or self.tag in tags.split(" "))
            and (not self.source or source == self.source)
        )

    def decide(self, doc_id: int, *fields) -> bool:
        """``allows`` for one document's ``FIELDS``, remembered for ``filter_ids``."""
        allowed = self.decided[doc_id] = self.allows(*fields)
        return allowed

    def allow_known(self, hints, ids: Iterable[int]) -> None:
        """Mark allowed the ids that ``hints`` (``FilterHints``: the live keyword index) holds with
        fields these candidates allow; the others stay undecided for ``filter_ids``.

        A hint, not a decision against: the index holds the fields as its
        version read them, so a document made public since then is still read
        from the database, and one made internal since is dropped when the
        results are re-read (``source_still_visible`` with ``allows`` on the
        fresh row). Saves the query for what the caller may plainly see.
        """
        pending = [pk for pk in ids if pk not in self.decided]
        for pk, fields in zip(pending, hints.document_filters(pending) if pending else ()):
            if fields is not None:
                kind, visibility, source, tags = fields
                if self.allows(True, visibility, kind, tags, source):
                    self.decided[pk] = True

    def filter_ids(self, ids: Iterable[int]) -> set[int]:
        """The ids among ``ids`` of documents these candidates hold (one query by primary key, for
        the ids not decided yet; a missing row is not held)."""
        ids = list(ids)
        unknown = [pk for pk in ids if pk not in self.decided]
        if unknown:
            for pk, *fields in _candidate_fields(unknown):
                self.decide(pk, *fields)
            for pk in unknown:
                self.decided.setdefault(pk, False)
        return {pk for pk in ids if self.decided[pk]}


def _candidate_fields(ids: list[int]) -> list[tuple]:
    """``(id, *Candidates.FIELDS)`` of the documents ``ids``, in SQL: every search runs this, and
    the ORM took longer to build the query than the database took to answer it."""
    columns = ", ".join(Document._meta.get_field(name).column for name in Candidates.FIELDS)
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):  # SQLite: at most 32k bound parameters
            chunk = ids[start:start + 5000]
            where, params = id_in("id", chunk)
            cursor.execute(f"SELECT id, {columns} FROM {Document._meta.db_table} WHERE {where}", params)
            rows += cursor.fetchall()
    return rows


class QuerysetCandidates:
    """Any ``Document`` queryset as candidates (tests and tools; the selector builds ``Candidates``)."""

    kinds: tuple[str, ...] = ()

    def __init__(self, queryset: QuerySet[Document]) -> None:
        self._queryset = queryset

    def queryset(self) -> QuerySet[Document]:
        return self._queryset

    def filter_ids(self, ids: Iterable[int]) -> set[int]:
        ids = list(ids)
        return set(self._queryset.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def as_candidates(candidates) -> "Candidates | QuerysetCandidates | None":
    """``Candidates`` as given, a queryset wrapped, ``None`` (every active document) as ``None``."""
    if candidates is None or isinstance(candidates, (Candidates, QuerysetCandidates)):
        return candidates
    return QuerysetCandidates(candidates)
