"""Freshness from evidence: published articles whose sources moved on are marked "needs review".

Triggers, each with a reason an editor can act on:
- a source thread changed (re-harvest or community edit): a new accepted answer,
  the used solution edited (content hash differs) or removed, a new answer
  outscoring the used solution;
- readers' "not helpful" votes since the last review reach
  ``KB_REVIEW_NEGATIVE_FEEDBACK`` (default 3);
- open agent flags reach ``KB_REVIEW_FLAGS`` (default 1).
Marking raises the cluster's demand, so the article rises in the editors' queue. Source changes
arrive through ``kb.receivers``; votes and flags are checked by the services that record them.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from community.models import Post
from kb.models import Article, ArticleFeedback, ArticleFlag, ArticleSource
from kb.services.demand import cluster_demand_refresh
from kb.services.drafts import post_hash
from kb.signals import article_needs_review

logger = logging.getLogger(__name__)

CHECKED_STATUSES = (Article.Status.PUBLISHED,)


@transaction.atomic
def article_mark_needs_review(*, article: Article, reason: str, editors_told: bool = False) -> bool:
    """Mark ``article`` as needing review for ``reason``; False when that reason was already recorded.
    ``editors_told``: the editors already heard of the cause (the flag that alone reached the threshold)."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.needs_review and reason in article.review_reason:
        return False
    reasons = [r for r in article.review_reason.split("; ") if r] if article.needs_review else []
    reasons.append(reason)
    article.needs_review = True
    article.review_reason = "; ".join(reasons)[:500]
    article.save(update_fields=["needs_review", "review_reason", "updated_at"])
    if article.cluster_id:
        cluster_demand_refresh(cluster_id=article.cluster_id)
    article_needs_review.send(sender=Article, article_id=article.pk, reason=reason, editors_told=editors_told)
    return True


def _short(title: str) -> str:
    return title if len(title) <= 80 else title[:77] + "…"


def source_change_reasons(*, article: Article, thread_ids: Iterable[int] | None = None) -> list[str]:
    """Why ``article``'s evidence no longer matches its source threads (empty when it still does).

    Only threads in ``thread_ids`` are looked at (all of the article's when None).
    """
    sources = list(ArticleSource.objects.filter(article=article).select_related("thread", "post"))
    # The solution may come from another thread than the one that changed: compare against it anyway.
    solution = next((s for s in sources if s.role == ArticleSource.Role.SOLUTION), None)
    if thread_ids is not None:
        wanted = {int(t) for t in thread_ids}
        sources = [s for s in sources if s.thread_id in wanted]
    if not sources:
        return []
    used_posts = set(ArticleSource.objects.filter(article=article, post__isnull=False).values_list("post_id", flat=True))
    reasons: list[str] = []
    for s in sources:
        if s.role == ArticleSource.Role.QUESTION:
            continue
        post = s.post
        what = "the solution" if s.role == ArticleSource.Role.SOLUTION else "another solution"
        if post is None or post.is_deleted or post.is_hidden:
            reasons.append(f"{what} was removed from '{_short(s.thread.title)}'")
        elif post_hash(post) != s.content_hash:
            reasons.append(f"{what} was edited in '{_short(s.thread.title)}'")
    threads = {s.thread_id: s.thread for s in sources}
    solution_score = solution.post.total_score if solution and solution.post else None
    for post in Post.objects.visible().filter(thread_id__in=threads, is_question=False):
        if post.pk in used_posts:
            continue
        title = _short(threads[post.thread_id].title)
        if post.is_accepted:
            reasons.append(f"a new accepted answer in '{title}'")
        elif solution_score is not None and post.total_score > solution_score:
            reasons.append(f"a new answer in '{title}' scores {post.total_score}, above the solution's {solution_score}")
    return reasons


def articles_check_sources(*, thread_ids: Iterable[int]) -> list[int]:
    """Mark published articles that draw on any of ``thread_ids`` and whose evidence changed; returns their ids."""
    ids = sorted({int(t) for t in thread_ids or ()})
    # One cheap query first: a harvest sends its thread ids for every stored batch, and while
    # no article is published (a new install, a first harvest) there is nothing to compare,
    # so the join over hundreds of thread ids is not worth running.
    if not ids or not Article.objects.filter(status__in=CHECKED_STATUSES).exists():
        return []
    marked = []
    articles = Article.objects.filter(status__in=CHECKED_STATUSES, sources__thread_id__in=ids).distinct()
    for article in articles:
        reasons = source_change_reasons(article=article, thread_ids=ids)
        if reasons and article_mark_needs_review(article=article, reason="; ".join(reasons)):
            marked.append(article.pk)
    return marked


def article_check_feedback(*, article: Article) -> bool:
    """Mark ``article`` when "not helpful" votes since its last review reach the threshold."""
    threshold = settings.KB_REVIEW_NEGATIVE_FEEDBACK
    if article.needs_review and "did not help" in article.review_reason:
        return False  # already waiting for review on this count; don't grow the reason per vote
    negative = ArticleFeedback.objects.filter(article=article, helpful=False)
    if article.last_reviewed_at:
        negative = negative.filter(created_at__gt=article.last_reviewed_at)
    count = negative.count()
    if threshold <= 0 or count < threshold:
        return False
    return article_mark_needs_review(article=article, reason=f"{count} readers said it did not help")


def article_check_flags(*, article: Article) -> bool:
    """Mark ``article`` when open agent flags reach the threshold."""
    threshold = settings.KB_REVIEW_FLAGS
    if article.needs_review and "agent flag" in article.review_reason:
        return False
    flags = list(ArticleFlag.objects.filter(article=article, resolved=False).order_by("created_at"))
    if threshold <= 0 or len(flags) < threshold:
        return False
    kinds = ", ".join(sorted({f.get_kind_display().lower() for f in flags}))
    latest = next((f.note for f in reversed(flags) if f.note), "")
    reason = f"{len(flags)} agent flag{'s' if len(flags) > 1 else ''} ({kinds})" + (f": {latest[:150]}" if latest else "")
    # One flag reaching the threshold: its own "flagged" notice already told the editors the same thing.
    return article_mark_needs_review(article=article, reason=reason, editors_told=len(flags) == 1)
