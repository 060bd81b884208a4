"""What agents send to the knowledge base from a contact: flags on articles and captured drafts.

The knowledge base writes the flag or the draft (``kb.services.agents``); this side records
the ``flagged`` suggestion event that goes with a flag raised from a contact.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from kb.models import Article, ArticleFlag
from kb.services.agents import article_draft_capture, article_flag_get_or_create
from support.models import Contact, SuggestionEvent
from support.services.suggestions import suggestion_record


@transaction.atomic
def article_flag(*, agent, article: Article, kind: str, note: str, contact: Contact | None = None) -> ArticleFlag:
    """Flag ``article`` as wrong or outdated for the editors, from ``contact`` when given.

    Precondition: ``check_can_flag_article(agent, article)``. The same flag sent twice is kept
    once, and so is its ``flagged`` event (recorded only when a contact is given).
    """
    flag, created = article_flag_get_or_create(agent=agent, article=article, kind=kind, note=note, contact=contact)
    if created and contact is not None:
        suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.FLAGGED)
    return flag


@transaction.atomic
def article_capture_from_contact(*, agent, contact: Contact, title: str, problem: str, solution: str,
                                 tags: Iterable[str] = ()) -> Article:
    """A new article draft from a conversation, for the editors' queue. Precondition:
    ``check_can_capture_article(agent)``. ``support.selectors.capture_prefill`` gives the starting text."""
    return article_draft_capture(agent=agent, title=title, problem=problem, solution=solution, tags=tags,
                                 origin=f"captured from contact #{contact.pk} by agent {agent.username}")
