"""Who may find what through search. One place, so the visibility matrix is testable.

customer/member  public documents only
agent            public + internal
editor, admin    public + internal + draft
everyone         never a hidden, held or deleted thread, never an inactive document

Visibility is enforced twice: ``Candidates`` restricts what the rankers may
return, and the source rows are re-read before results leave the selector
(``recheck_documents``; the selector uses the same rule as ``visible_source_sql``
in the query that fetches the results), because the search tables lag the source by one indexing pass (a
thread hidden a second ago still has an active ``Document``).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet

from community.roles import ADMIN, AGENT, EDITOR, user_roles
from core.errors import ServiceError
from search.models import Document
from search.sql import id_in

KINDS = tuple(Document.Kind.values)
MAX_FILTER_CHARS = 80


def allowed_visibilities(user) -> tuple[str, ...]:
    """Document visibilities ``user`` may see (``user`` may be anonymous or ``None``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return (Document.Visibility.PUBLIC,)
    roles = user_roles(user)
    if user.is_superuser or EDITOR in roles or ADMIN in roles:
        return (Document.Visibility.PUBLIC, Document.Visibility.INTERNAL, Document.Visibility.DRAFT)
    if AGENT in roles:
        return (Document.Visibility.PUBLIC, Document.Visibility.INTERNAL)
    return (Document.Visibility.PUBLIC,)


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
    # Decisions already read (document id -> allowed), so one search reads a row once
    # whether the dense or the keyword ranker proposed it first.
    decided: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)

    FIELDS = ("is_active", "visibility", "kind", "tags", "source")

    def queryset(self) -> QuerySet[Document]:
        qs = Document.objects.filter(is_active=True, visibility__in=self.visibilities)
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

    def allow_known(self, index, ids: Iterable[int]) -> None:
        """Mark allowed the ids that ``index`` (the live ``KeywordIndex``) holds with fields these
        candidates allow; the others stay undecided for ``filter_ids``.

        A hint, not a decision against: the index holds the fields as its
        version read them, so a document made public since then is still read
        from the database, and one made internal since is dropped when the
        results are re-read (``source_still_visible`` with ``allows`` on the
        fresh row). Saves the query for what the caller may plainly see.
        """
        pending = [pk for pk in ids if pk not in self.decided]
        for pk, fields in zip(pending, index.document_filters(pending) if pending else ()):
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


def search_candidates(user, *, visibilities: Iterable[str] | None = None, kinds: Iterable[str] = (),
                      tag: str | None = None, source: str | None = None) -> Candidates:
    """What ``user`` may find, narrowed by the (already checked) filters."""
    allowed = tuple(visibilities) if visibilities is not None else allowed_visibilities(user)
    return Candidates(visibilities=allowed, kinds=tuple(kinds), tag=(tag or "").strip() or None,
                      source=(source or "").strip() or None)


def tag_condition(tag: str) -> Q:
    """``Document.tags`` holds space-separated names: match one whole name."""
    return Q(tags=tag) | Q(tags__startswith=f"{tag} ") | Q(tags__endswith=f" {tag}") | Q(tags__contains=f" {tag} ")


def check_search_filters(*, kinds: Iterable[str] | None, tag: str | None, source: str | None) -> None:
    """Raise ``ServiceError`` (400 in the API) with a readable message for a bad filter."""
    for kind in kinds or ():
        if kind not in KINDS:
            raise ServiceError(
                f"Unknown type {kind!r}: use one of {', '.join(KINDS)}.", code="invalid_filter", field="type"
            )
    for name, value in (("tag", tag), ("source", source)):
        if value is None:
            continue
        if not value.strip() or len(value) > MAX_FILTER_CHARS or any(ch.isspace() for ch in value.strip()):
            raise ServiceError(
                f"The {name} filter must be one name without spaces, at most {MAX_FILTER_CHARS} characters.",
                code="invalid_filter",
                field=name,
            )


def visible_source_sql(document_alias: str) -> tuple[str, list]:
    """SQL (and parameters) true when the source thread of ``document_alias``'s row is still shown.

    The condition ``recheck_documents`` reads from ``Thread``, as an EXISTS the
    selector puts in the query that fetches the rows, so the re-check costs no
    round trip of its own. Meaningless for articles, which
    ``source_still_visible`` ignores.
    """
    from community.models import Thread

    return (f"EXISTS (SELECT 1 FROM {Thread._meta.db_table} t WHERE t.id = {document_alias}.object_id "
            f"AND t.status = %s AND NOT t.is_hidden AND NOT t.is_deleted)", [Thread.Status.PUBLISHED.value])


def source_still_visible(*, kind: str, visibility: str, is_active: bool, thread_visible: bool,
                         visibilities: Iterable[str]) -> bool:
    """``recheck_documents`` for one row just fetched with ``visible_source_sql`` as ``thread_visible``."""
    return bool(is_active and visibility in visibilities
                and (kind == Document.Kind.ARTICLE or thread_visible))


def recheck_documents(documents: Iterable[Document], *, user, visibilities: Iterable[str] | None = None) -> list[Document]:
    """The documents from ``documents`` that ``user`` may still see, in the given order.

    Precondition: ``documents`` were just fetched from the database (their
    ``visibility`` and ``is_active`` are current). Articles are judged by the
    visibility stored on their document (the KB keeps it in step on publish);
    questions and threads by their ``Thread`` row, re-read here, which must be
    published, not hidden and not deleted.
    """
    allowed = set(visibilities) if visibilities is not None else set(allowed_visibilities(user))
    documents = [doc for doc in documents if doc.is_active and doc.visibility in allowed]
    thread_ids = [doc.object_id for doc in documents if doc.kind != Document.Kind.ARTICLE]
    visible_threads: set[int] = set()
    if thread_ids:
        from community.models import Thread

        visible_threads = set(Thread.objects.visible().filter(pk__in=thread_ids).values_list("pk", flat=True))
    return [doc for doc in documents if doc.kind == Document.Kind.ARTICLE or doc.object_id in visible_threads]
