"""Support reads: the contacts a user may see, and article suggestions for a transcript."""
from __future__ import annotations

from django.db.models import QuerySet

from support import permissions
from support.models import Contact

SUGGEST_MAX_LIMIT = 50


def contact_list(*, user, status: str | None = None) -> QuerySet[Contact]:
    """Agents see every contact; anyone else signed in sees their own. Precondition: signed in."""
    contacts = Contact.objects.select_related("customer", "assigned_agent")
    if not permissions.can_handle_contacts(user):
        contacts = contacts.filter(customer=user)
    if status:
        contacts = contacts.filter(status=status)
    return contacts


def contact_get(*, contact_id: int) -> Contact | None:
    return (Contact.objects.select_related("customer", "assigned_agent", "resolved_by")
            .prefetch_related("messages__author", "viewed_articles").filter(pk=contact_id).first())


def article_suggestions(*, text: str, agent, limit: int = 10) -> list[dict]:
    """Published articles (public and internal) for a conversation, best first.

    Precondition: ``check_can_handle(agent)``. Raises ``QueryError`` when ``text``
    holds nothing searchable; long transcripts are truncated by the query cleaner.
    """
    from search.models import Document
    from search.selectors import search_documents

    limit = max(1, min(int(limit), SUGGEST_MAX_LIMIT))
    results = search_documents(query=text, user=agent, kinds=["article"], limit=limit, channel="agent")
    visibility = dict(Document.objects.filter(pk__in=[r.document_id for r in results])
                      .values_list("pk", "visibility"))
    return [
        {"article_id": r.object_id, "title": r.title, "url": r.url, "snippet_html": r.snippet_html,
         "passage": r.passage, "score": r.score, "visibility": visibility.get(r.document_id, ""),
         "tags": list(r.tags)}
        for r in results
    ]
