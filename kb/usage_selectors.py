"""Knowledge-base reads about use: what readers and agents did with articles, and what readers see
around an article in the help center (popular, recent by topic, related, their own vote).

Editors read the learning signals (``article_usage``, ``article_usage_signals``); the help center
reads the rest. The matching writes are in ``kb.services.usage``; access rules stay in ``kb.selectors`` and
``kb.permissions``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from community.models import Tag
from core.errors import ServiceError
from kb import permissions
from kb.models import Article, ArticleFeedback, ArticleFlag, ArticleView
from kb.selectors import articles_for_user
from search.engine.query import QueryError
from search.selectors import search_documents

A = Article.Status


# --- learning signals, for editors ---------------------------------------------------------------


def article_usage(*, article: Article) -> dict:
    """Learning signals for editors: views (from search or otherwise), helpful yes/no, what agents did
    with it when it was suggested (shown, inserted into replies, linked as resolved-by, dismissed,
    flagged), how often the contact form suggested it and the visitor opened it (and how many of those
    did not send a request: deflections), and flags with the open ones' notes."""
    flags = ArticleFlag.objects.filter(article=article).aggregate(total=Count("id"), open=Count("id", filter=Q(resolved=False)))
    by_via = dict(ArticleView.objects.filter(article=article).order_by().values("via").annotate(n=Count("id"))
                  .values_list("via", "n"))
    from_search = sum(by_via.get(via, 0) for via in (ArticleView.Via.SEARCH, ArticleView.Via.SUGGEST))
    # Agents' actions on suggestions live in the support app; read through the reverse relation.
    events = dict(article.suggestion_events.order_by().values("action").annotate(n=Count("id"))
                  .values_list("action", "n"))
    # Contact-form suggestions opened (support app, reverse relation): a deflection when no request followed.
    opens = article.contact_form_opens.aggregate(opened=Count("id"), deflected=Count("id", filter=Q(contact__isnull=True)))
    open_flags = [
        {"kind": flag.kind, "note": flag.note, "flagged_by": flag.flagged_by.username if flag.flagged_by else "",
         "contact_id": flag.contact_id, "created_at": flag.created_at}
        for flag in ArticleFlag.objects.filter(article=article, resolved=False).select_related("flagged_by")
        .order_by("-created_at")[:20]
    ]
    return {
        "views": article.views,
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "flags": flags["total"],
        "open_flags": flags["open"],
        "views_from_search": from_search,
        "views_other": sum(by_via.values()) - from_search,
        "views_by_via": {via: by_via.get(via, 0) for via in ArticleView.Via.values},
        "agent_shown": events.get("shown", 0),
        "agent_inserts": events.get("inserted", 0),
        "agent_links": events.get("linked", 0),
        "agent_dismissals": events.get("dismissed", 0),
        "agent_flags": events.get("flagged", 0),
        "contact_form_opens": opens["opened"],
        "contact_form_deflected": opens["deflected"],
        "open_flag_notes": open_flags,
    }


def article_usage_signals(*, article: Article, queries: int = 10, comments: int = 10) -> dict:
    """What readers said and searched, for editors (counts are in ``article_usage``): the searches
    that led to ``article`` and the latest comments."""
    top = (ArticleView.objects.filter(article=article).exclude(query="").order_by().values("query")
           .annotate(n=Count("id")).order_by("-n", "query")[:queries])
    return {
        "top_queries": [(row["query"], row["n"]) for row in top],
        "comments": list(ArticleFeedback.objects.filter(article=article).exclude(comment="")
                         .order_by("-created_at", "-pk")[:comments]),
    }


# --- help center: what readers see around an article ------------------------------------------

RELATED_CACHE_SECONDS = 300
POPULAR_DAYS = 30


@dataclass
class TopicGroup:
    """Recent articles under one topic (a tag; its help-center ``topic`` name when it has one)."""

    label: str
    tag: object | None
    articles: list[Article]


def _public_published() -> QuerySet[Article]:
    return Article.objects.filter(status=A.PUBLISHED, visibility=Article.Visibility.PUBLIC)


def articles_popular(*, limit: int = 6) -> list[Article]:
    """Public published articles readers use most: views in the last ``POPULAR_DAYS``, then net helpful votes."""
    since = timezone.now() - timedelta(days=POPULAR_DAYS)
    return list(
        _public_published()
        .annotate(recent_views=Count("view_events", filter=Q(view_events__created_at__gte=since)),
                  net_helpful=F("helpful_yes") - F("helpful_no"))
        .order_by("-recent_views", "-net_helpful", "-views", F("published_at").desc(nulls_last=True), "-pk")[:limit]
    )


def articles_recent_by_topic(*, topics: int = 6, per_topic: int = 4, scan: int = 60) -> list[TopicGroup]:
    """The newest public published articles grouped by help-center topic, the freshest topic first.

    A topic is ``Tag.topic`` (the demo's "Firmware updates" over the tag ``firmware``);
    tags without one (version numbers and model names from harvested forums) do not make
    a group of their own. Where no tag has a topic at all, tag names stand in. An
    article appears once under each of its topics; articles without one under "Other".
    """
    recent = list(_public_published().prefetch_related("tags")
                  .order_by(F("published_at").desc(nulls_last=True), "-pk")[:scan])
    use_topics = any(tag.topic for article in recent for tag in article.tags.all())
    groups: dict = {}
    for article in recent:
        tags = [tag for tag in article.tags.all() if tag.topic or not use_topics]
        labels = {}
        for tag in tags:
            labels.setdefault(tag.topic if use_topics else tag.name, tag)
        for label, tag in (labels.items() or [(None, None)]):
            if label not in groups:
                groups[label] = TopicGroup(label=label or "Other", tag=tag, articles=[])
            if len(groups[label].articles) < per_topic:
                groups[label].articles.append(article)
    ordered = [group for label, group in groups.items() if label is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered[:topics]


def _semantic_related_ids(*, article: Article, user, limit: int) -> list[int]:
    """Article ids close in meaning to ``article``, from the search index (cached a few minutes)."""
    internal = permissions.can_view_internal(user) or permissions.can_edit(user)
    key = f"kb:related:{article.pk}:{article.version}:{int(internal)}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        # Not logged: these are not searches anyone typed, and the log feeds "unmet searches". The
        # article itself is left out of the ranking: it would be the best match and make every other
        # article look far behind it.
        found = search_documents(query=f"{article.title}\n{article.problem}", user=user, kinds=["article"],
                                 limit=limit, channel="web", log=False, exclude=[("article", article.pk)])
    except (QueryError, ServiceError):
        return []
    # Only articles likely to answer the same question (``SEARCH_RELEVANCE_FLOOR``): "nearest" is not "related".
    ids = [r.object_id for r in found.good()]
    cache.set(key, ids, RELATED_CACHE_SECONDS)
    return ids


def _relating_tag_ids(article: Article) -> list[int]:
    """The tags that make two articles related: those naming a help-center topic. A model name or a
    version ("h1", "firmware-3-5") is on articles about anything, so sharing it says nothing; where no
    tag has a topic at all, every tag stands in (as in ``articles_recent_by_topic``)."""
    tags = list(article.tags.values_list("pk", "topic"))
    if any(topic for _, topic in tags) or Tag.objects.exclude(topic="").exists():
        return [pk for pk, topic in tags if topic]
    return [pk for pk, _ in tags]


def article_related(*, article: Article, user, limit: int = 5) -> list[Article]:
    """Published articles ``user`` may read that are like ``article``: semantic neighbours that clear the
    relevance floor, then articles sharing a topic tag (an editor's choice, not a similarity guess).

    Customers get public articles only; agents and editors internal ones too. The
    rows are re-read through ``articles_for_user``, so a stale index never leaks one.
    """
    readable = articles_for_user(user=user, status=A.PUBLISHED).exclude(pk=article.pk)
    ids = _semantic_related_ids(article=article, user=user, limit=limit)
    found = readable.in_bulk(ids)
    related = [found[pk] for pk in ids if pk in found][:limit]
    tag_ids = _relating_tag_ids(article)
    if len(related) < limit and tag_ids:
        more = (readable.exclude(pk__in=[a.pk for a in related]).filter(tags__in=tag_ids)
                .annotate(shared=Count("tags")).order_by("-shared", "-helpful_yes", "-views", "-pk"))
        related += list(more[:limit - len(related)])
    return related


def article_feedback_of(*, article: Article, user, session_key: str = ""):
    """The reader's own vote on ``article`` (signed in: by account, else by session), or None."""
    if user is not None and user.is_authenticated:
        mine = ArticleFeedback.objects.filter(article=article, user=user)
    elif session_key:
        mine = ArticleFeedback.objects.filter(article=article, user__isnull=True, session_key=session_key)
    else:
        return None
    return mine.order_by("-created_at", "-pk").first()
