"""Who may find what through search. One place, so the visibility matrix is testable.

everyone                         public documents
``kb.view_internal_article``     + internal (agents and editors; the permission kb checks too)
``kb.edit_article``              + draft (editors)
superusers (admins)              everything
everyone                         never a hidden, held or deleted thread, never an inactive document

Visibility is enforced twice: ``Candidates`` restricts what the rankers may
return, and the source rows are re-read before results leave the selector
(``recheck_documents``; the selector uses the same rule as ``visible_source_sql``
in the query that fetches the results), because the search tables lag the source by one indexing pass (a
thread hidden a second ago still has an active ``Document``).
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models.expressions import RawSQL

from community.models import Thread
from core.errors import ServiceError
from search.candidates import Candidates
from search.models import Document

KINDS = tuple(Document.Kind.values)
MAX_FILTER_CHARS = 80


def _has(user, perm: str) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active
                and user.has_perm(perm))


def can_find_internal(user) -> bool:
    """Internal documents (internal articles): whoever may read them in the knowledge base."""
    return _has(user, "kb.view_internal_article")


def can_find_drafts(user) -> bool:
    """Draft documents: whoever may edit articles."""
    return _has(user, "kb.edit_article")


def allowed_visibilities(user) -> tuple[str, ...]:
    """Document visibilities ``user`` may see (``user`` may be anonymous or ``None``)."""
    visibilities = [Document.Visibility.PUBLIC]
    if can_find_internal(user):
        visibilities.append(Document.Visibility.INTERNAL)
    if can_find_drafts(user):
        visibilities.append(Document.Visibility.DRAFT)
    return tuple(visibilities)


def search_candidates(user, *, visibilities: Iterable[str] | None = None, kinds: Iterable[str] = (),
                      tag: str | None = None, source: str | None = None, exclude: Iterable[int] = ()) -> Candidates:
    """What ``user`` may find, narrowed by the (already checked) filters, minus the ``exclude`` document ids."""
    allowed = tuple(visibilities) if visibilities is not None else allowed_visibilities(user)
    return Candidates(visibilities=allowed, kinds=tuple(kinds), tag=(tag or "").strip() or None,
                      source=(source or "").strip() or None, excluded=frozenset(exclude))


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
    round trip of its own. Built from ``Thread.objects.visible()``, so the rule is written once.
    Meaningless for articles, which ``source_still_visible`` ignores.
    """
    thread = Thread.objects.visible().filter(pk=RawSQL(f"{document_alias}.object_id", ())).order_by().values("pk")
    sql, params = thread.query.sql_with_params()
    return f"EXISTS ({sql})", list(params)


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
        visible_threads = set(Thread.objects.visible().filter(pk__in=thread_ids).values_list("pk", flat=True))
    return [doc for doc in documents if doc.kind == Document.Kind.ARTICLE or doc.object_id in visible_threads]
