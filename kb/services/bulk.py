"""The queue's bulk actions: assign, or move through the workflow, many items at once.

Each item goes through the same service as one at a time (``item_assign``,
``article_transition``), so every rule and version is the same; an item a rule
refuses is skipped with its reason, and the others are still done.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from core.errors import ServiceError
from kb.models import Article, Cluster
from kb.permissions import check_can_transition
from kb.selectors import assignee_get
from kb.services.articles import article_transition, item_assign


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # "title: reason"


def _label(item: Article | Cluster) -> str:
    return item.title if isinstance(item, Article) else str(item)


@transaction.atomic
def items_assign_bulk(*, editor, items: list[Article | Cluster], username: str | None) -> BulkResult:
    """Give every item to ``username`` (empty: nobody). Precondition: ``check_can_edit(editor)``.

    An unknown or non-editor assignee refuses the whole batch (``ServiceError``).
    """
    assignee_get(username)  # a bad name is refused before anything changes
    result = BulkResult()
    for item in items:
        item_assign(editor=editor, item=item, username=username)
        result.done += 1
    return result


def articles_transition_bulk(*, user, items: list[Article | Cluster], action: str) -> BulkResult:
    """Apply the workflow ``action`` to the article of every item. Precondition: ``check_can_edit(user)``.

    Candidates without an article, and articles the workflow or the user's permissions
    refuse, are skipped with the reason; each article moves in its own transaction.
    """
    result = BulkResult()
    for item in items:
        article = item if isinstance(item, Article) else Article.objects.filter(cluster=item).first()
        if article is None:
            result.skipped.append(f"{_label(item)}: no article yet")
            continue
        try:
            check_can_transition(user, article, action)
            with transaction.atomic():
                article_transition(user=user, article=article, action=action)
        except ServiceError as exc:
            result.skipped.append(f"{article.title}: {exc.message}")
        else:
            result.done += 1
    return result
