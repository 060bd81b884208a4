"""Who may find what through search. One place, so the visibility matrix is testable.

customer/member  public documents only
agent            public + internal
editor, admin    public + internal + draft
everyone         never a hidden, held or deleted thread, never an inactive document

Visibility is enforced twice: ``document_queryset`` restricts the query itself,
and ``recheck_documents`` re-reads the source rows before results leave the
selector, because the search tables lag the source by one indexing pass (a
thread hidden a second ago still has an active ``Document``).
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from community.roles import ADMIN, AGENT, EDITOR, user_roles
from config.api import ServiceError
from search.models import Document

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


def document_queryset(user, *, visibilities: Iterable[str] | None = None) -> QuerySet[Document]:
    """Active documents ``user`` may see; the base of every search query.

    ``visibilities`` is the result of ``allowed_visibilities(user)`` when the
    caller already computed it (it costs a query for signed-in users).
    """
    allowed = tuple(visibilities) if visibilities is not None else allowed_visibilities(user)
    return Document.objects.filter(is_active=True, visibility__in=allowed)


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

        visible_threads = set(
            Thread.objects.filter(
                pk__in=thread_ids, status=Thread.Status.PUBLISHED, is_hidden=False, is_deleted=False
            ).values_list("pk", flat=True)
        )
    return [doc for doc in documents if doc.kind == Document.Kind.ARTICLE or doc.object_id in visible_threads]
