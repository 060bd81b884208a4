"""What agents do with suggested articles: shown, inserted into a reply, linked as resolved-by, dismissed,
flagged. The events feed the suggestions' ranking and the signals editors see per article.

Callers run ``support.permissions.check_can_use_article`` first; these functions assume it passed.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.errors import ServiceError
from support.models import Contact, SuggestionEvent


@transaction.atomic
def suggestion_record(*, agent, contact: Contact, article, action: str) -> SuggestionEvent:
    """Remember what an agent did with a suggested article (for ranking and editors)."""
    if action not in SuggestionEvent.Action.values:
        raise ServiceError(f"Unknown action {action!r}.", code="invalid_action", field="action")
    return SuggestionEvent.objects.create(agent=agent, contact=contact, article=article, action=action)


@transaction.atomic
def contact_link_article(*, agent, contact: Contact, article) -> Contact:
    """Mark ``article`` as what resolved the contact. Precondition: ``check_can_use_article``."""
    contact.resolved_by = article
    contact.save(update_fields=["resolved_by", "updated_at"])
    suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.LINKED)
    return contact


@transaction.atomic
def suggestion_dismiss(*, agent, contact: Contact, article) -> SuggestionEvent:
    """Hide ``article`` from this contact's suggestions from now on. Precondition: ``check_can_use_article``.

    Dismissing twice keeps the first event: the count editors see is per contact.
    """
    existing = SuggestionEvent.objects.filter(contact=contact, article=article,
                                              action=SuggestionEvent.Action.DISMISSED).first()
    if existing is not None:
        return existing
    return suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.DISMISSED)


@transaction.atomic
def suggestion_insert(*, agent, contact: Contact, article) -> SuggestionEvent:
    """Record that the agent put a link or an excerpt of ``article`` into a reply.

    Precondition: ``check_can_use_article``. The text itself goes into the reply box on the
    agent's side; it becomes part of the conversation only when the reply is sent.
    """
    return suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.INSERTED)


def suggestions_record_shown(*, agent, contact: Contact, article_ids: Iterable[int]) -> int:
    """Record ``shown`` once per article per contact (the sidebar re-ranks often); returns how many were new."""
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    if not ids:
        return 0
    seen = set(SuggestionEvent.objects.filter(contact=contact, article_id__in=ids, action=SuggestionEvent.Action.SHOWN)
               .values_list("article_id", flat=True))
    new = [SuggestionEvent(contact=contact, article_id=i, agent=agent, action=SuggestionEvent.Action.SHOWN)
           for i in ids if i not in seen]
    SuggestionEvent.objects.bulk_create(new)
    return len(new)
