"""Knowledge-base reads: the editors' queue, a cluster's evidence, articles as a user may see them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Min, Prefetch, Q, QuerySet

from community.models import Post, Thread
from kb import permissions
from kb.models import Article, ArticleFlag, Cluster, ClusterMember, EvidenceNote

A, C = Article.Status, Cluster.Status
QUEUE_LIMIT = 200
# Filter values beyond the article statuses: candidates without an article, and cluster outcomes.
QUEUE_STATUSES = ("candidate", "needs_review", *A.values, C.DISMISSED, C.MERGED)


@dataclass
class QueueItem:
    """One row of the editors' queue: a candidate cluster, its article, or an article without a cluster."""

    cluster: Cluster | None
    article: Article | None
    demand: float
    needs_review: bool

    @property
    def title(self) -> str:
        return self.article.title if self.article else str(self.cluster)

    @property
    def status(self) -> str:
        if self.article is not None:
            return self.article.status
        return self.cluster.status

    @property
    def status_label(self) -> str:
        return self.article.get_status_display() if self.article else self.cluster.get_status_display()

    @property
    def assigned_to(self):
        if self.article is not None and self.article.assigned_to_id:
            return self.article.assigned_to
        return self.cluster.assigned_to if self.cluster is not None else None

    @property
    def url(self) -> str:
        return self.cluster.get_absolute_url() if self.cluster else editor_url(self.article)


def editor_url(article: Article) -> str:
    from django.urls import reverse

    return reverse("kb:edit", args=[article.pk])


def _assignee_q(assignee: str | None, user, prefix: str) -> Q:
    if not assignee:
        return Q()
    if assignee == "none":
        return Q(**{f"{prefix}assigned_to__isnull": True})
    if assignee == "me":
        return Q(**{f"{prefix}assigned_to": user}) if user is not None and user.is_authenticated else Q(pk__in=[])
    return Q(**{f"{prefix}assigned_to__username": assignee})


def queue(*, user=None, source: str | None = None, tag: str | None = None, status: str | None = None,
          assignee: str | None = None, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Candidates and articles, needs-review first, then by demand (size, growth, unmet searches).

    ``status``: ``candidate`` (no article yet), ``needs_review``, an article status, or
    ``dismissed``/``merged``; by default everything still open (not archived, dismissed
    or merged). ``assignee``: a username, ``me`` or ``none``. Unknown filter values
    match nothing rather than everything.
    """
    clusters = Cluster.objects.select_related("assigned_to", "article", "article__assigned_to")
    articles = Article.objects.filter(cluster__isnull=True).select_related("assigned_to")
    if status in (C.DISMISSED, C.MERGED):
        clusters, articles = clusters.filter(status=status), articles.none()
    elif status == "candidate":
        clusters, articles = clusters.filter(status=C.CANDIDATE, article__isnull=True), articles.none()
    elif status == "needs_review":
        clusters, articles = clusters.filter(article__needs_review=True), articles.filter(needs_review=True)
    elif status in A.values:
        clusters, articles = clusters.filter(article__status=status), articles.filter(status=status)
    elif status:
        return []
    else:
        clusters = clusters.exclude(status__in=[C.DISMISSED, C.MERGED]).exclude(article__status=A.ARCHIVED)
        articles = articles.exclude(status=A.ARCHIVED)
    if source:
        clusters = clusters.filter(pk__in=ClusterMember.objects.filter(thread__source__slug=source).values("cluster"))
        articles = articles.filter(sources__thread__source__slug=source)
    if tag:
        clusters = clusters.filter(
            Q(pk__in=ClusterMember.objects.filter(thread__tags__name=tag).values("cluster")) | Q(article__tags__name=tag)
        )
        articles = articles.filter(tags__name=tag)
    if assignee == "none":
        clusters = clusters.filter(_assignee_q(assignee, user, "") & _assignee_q(assignee, user, "article__"))
    elif assignee:
        clusters = clusters.filter(_assignee_q(assignee, user, "") | _assignee_q(assignee, user, "article__"))
    articles = articles.filter(_assignee_q(assignee, user, ""))
    clusters = clusters.distinct().order_by(F("article__needs_review").desc(nulls_last=True), "-demand", "-size", "pk")
    articles = articles.distinct().order_by("-needs_review", "-updated_at")
    items = [QueueItem(cluster=c, article=getattr(c, "article", None), demand=c.demand,
                       needs_review=bool(getattr(c, "article", None) and c.article.needs_review))
             for c in clusters[:limit]]
    items += [QueueItem(cluster=None, article=a, demand=0.0, needs_review=a.needs_review) for a in articles[:limit]]
    items.sort(key=lambda item: (not item.needs_review, -item.demand))
    return items[:limit]


def queue_filter_choices() -> dict:
    from harvest.models import Source
    from community.models import Tag

    return {
        "sources": list(Source.objects.order_by("name").values_list("slug", "name")),
        "tags": list(Tag.objects.filter(threads__cluster_membership__isnull=False).distinct().order_by("name")
                     .values_list("name", flat=True)[:300]),
        "statuses": [("candidate", "Candidate (no article yet)"), ("needs_review", "Needs review"),
                     *A.choices, (C.DISMISSED, "Dismissed"), (C.MERGED, "Merged")],
        "editors": editors(),
    }


def editors() -> list:
    """Accounts that may be assigned work: active superusers and holders of ``kb.edit_article``."""
    perm = Q(codename="edit_article", content_type__app_label="kb")
    User = get_user_model()
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(perm)
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perms) | Q(user_permissions__in=perms))
        .distinct().order_by("username")
    )


@dataclass
class ClusterThread:
    thread: Thread
    similarity: float
    pinned: bool
    accepted: Post | None
    best: Post | None


@dataclass
class ClusterDetail:
    cluster: Cluster
    article: Article | None
    threads: list[ClusterThread]
    first: datetime | None
    last: datetime | None
    sources: list[str]
    votes: int
    accepted: int
    evidence: list[EvidenceNote] = field(default_factory=list)


def cluster_detail(*, cluster: Cluster) -> ClusterDetail:
    """The evidence an editor weighs: every thread (any source) with votes and accepted answers,
    the date range, and answers flagged as contradicting or outdated (side by side)."""
    answers = Post.objects.filter(is_question=False, is_hidden=False, is_deleted=False).select_related("author")
    members = (
        ClusterMember.objects.filter(cluster=cluster)
        .select_related("thread__source")
        .prefetch_related("thread__tags", Prefetch("thread__posts", queryset=answers, to_attr="answers"))
        .order_by("-pinned", "-similarity", "thread_id")
    )
    threads = []
    for member in members:
        posts = member.thread.answers
        accepted = next((post for post in posts if post.is_accepted), None)
        best = max(posts, key=lambda post: (post.score, -post.pk), default=None)
        threads.append(ClusterThread(member.thread, member.similarity, member.pinned, accepted, best))
    span = Thread.objects.filter(cluster_membership__cluster=cluster).aggregate(first=Min("created_at"),
                                                                                  last=Max("last_activity_at"))
    evidence = list(EvidenceNote.objects.filter(cluster=cluster).select_related(
        "first_post__thread__source", "first_post__author", "second_post__thread__source", "second_post__author"))
    return ClusterDetail(
        cluster=cluster, article=Article.objects.filter(cluster=cluster).first(), threads=threads,
        first=span["first"], last=span["last"],
        sources=sorted({item.thread.source.name for item in threads}),
        votes=sum(item.thread.score for item in threads),
        accepted=sum(1 for item in threads if item.accepted is not None), evidence=evidence,
    )


def article_for_user(slug: str, user) -> Article | None:
    """The article at ``slug`` if ``user`` may read it, else None (a 404: we do not say it exists).

    Published public articles: everyone; published internal: agents and editors;
    drafts, in review, approved and archived: editors only.
    """
    article = Article.objects.filter(slug=slug).select_related("cluster").first()
    if article is None or not permissions.can_view_article(user, article):
        return None
    return article


def article_get_for_user(*, article_id: int, user) -> Article | None:
    article = Article.objects.filter(pk=article_id).select_related("cluster", "assigned_to").first()
    if article is None or not permissions.can_view_article(user, article):
        return None
    return article


def articles_for_user(*, user, status: str | None = None) -> QuerySet[Article]:
    """Articles ``user`` may read, newest change first (editors: every status)."""
    articles = Article.objects.select_related("assigned_to").prefetch_related("tags")
    if not permissions.can_edit(user):
        articles = articles.filter(status=A.PUBLISHED)
        if not permissions.can_view_internal(user):
            articles = articles.filter(visibility=Article.Visibility.PUBLIC)
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("-updated_at", "-pk")


def article_sources(*, article: Article) -> list:
    """Sources for the credit box: the solution first, then other answers, then question phrasings."""
    order = {"solution": 0, "other": 1, "question": 2}
    sources = list(article.sources.select_related("thread__source", "post"))
    sources.sort(key=lambda source: (order.get(source.role, 3), -source.score, source.pk))
    return sources


def article_usage(*, article: Article) -> dict:
    """Learning signals for editors: views (from search or otherwise), helpful yes/no, what agents did
    with it when it was suggested (shown, inserted into replies, linked as resolved-by, dismissed,
    flagged), and flags with the open ones' notes."""
    from kb.models import ArticleView

    flags = ArticleFlag.objects.filter(article=article).aggregate(total=Count("id"), open=Count("id", filter=Q(resolved=False)))
    by_via = dict(ArticleView.objects.filter(article=article).order_by().values("via").annotate(n=Count("id"))
                  .values_list("via", "n"))
    from_search = sum(by_via.get(via, 0) for via in (ArticleView.Via.SEARCH, ArticleView.Via.SUGGEST))
    # Agents' actions on suggestions live in the support app; read through the reverse relation.
    events = dict(article.suggestion_events.order_by().values("action").annotate(n=Count("id"))
                  .values_list("action", "n"))
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
        "open_flag_notes": open_flags,
    }


def article_versions(*, article: Article):
    return article.versions.select_related("author").order_by("-number")


def assignee_get(username: str | None):
    """The active account to assign work to, None for "nobody"; a clear error for an unknown name."""
    from config.api import ServiceError

    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ServiceError(f"There is no account {username!r}.", field="assignee")
    return user


# --- help center: what readers see around an article, and what editors learn from them ----------

RELATED_MIN_DENSE = 0.35  # below this cosine an article is only "nearest", not related (as in search.similar)
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
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(days=POPULAR_DAYS)
    return list(
        _public_published()
        .annotate(recent_views=Count("view_events", filter=Q(view_events__created_at__gte=since)),
                  net_helpful=F("helpful_yes") - F("helpful_no"))
        .order_by("-recent_views", "-net_helpful", "-views", F("published_at").desc(nulls_last=True), "-pk")[:limit]
    )


def articles_recent_by_topic(*, topics: int = 6, per_topic: int = 4, scan: int = 60) -> list[TopicGroup]:
    """The newest public published articles grouped by tag, the topic with the newest article first.

    An article with several tags appears under each; untagged ones under "Other".
    """
    recent = (_public_published().prefetch_related("tags")
              .order_by(F("published_at").desc(nulls_last=True), "-pk")[:scan])
    groups: dict = {}
    for article in recent:
        for tag in list(article.tags.all()) or [None]:
            key = tag.pk if tag is not None else None
            if key not in groups:
                groups[key] = TopicGroup(label=(tag.topic or tag.name) if tag is not None else "Other", tag=tag,
                                         articles=[])
            if len(groups[key].articles) < per_topic:
                groups[key].articles.append(article)
    ordered = [group for key, group in groups.items() if key is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered[:topics]


def _readable_published(user) -> QuerySet[Article]:
    return articles_for_user(user=user, status=A.PUBLISHED)


def _semantic_related_ids(*, article: Article, user, limit: int) -> list[int]:
    """Article ids close in meaning to ``article``, from the search index (cached a few minutes)."""
    from django.core.cache import cache

    from config.api import ServiceError
    from search.engine.query import QueryError
    from search.selectors import search_documents

    internal = permissions.can_view_internal(user) or permissions.can_edit(user)
    key = f"kb:related:{article.pk}:{article.version}:{int(internal)}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        # Not logged: these are not searches anyone typed, and the log feeds "unmet searches".
        found = search_documents(query=f"{article.title}\n{article.problem}", user=user, kinds=["article"],
                                 limit=limit + 1, channel="web", log=False)
    except (QueryError, ServiceError):
        return []
    found = [r for r in found if r.object_id != article.pk]
    dense = [r.dense_score for r in found if r.dense_score is not None]
    if dense:
        found = [r for r in found if (r.dense_score or 0.0) >= RELATED_MIN_DENSE]
    else:  # keyword-only answer (no vector index yet): every keyword match
        found = [r for r in found if r.keyword_score is not None]
    ids = [r.object_id for r in found]
    cache.set(key, ids, RELATED_CACHE_SECONDS)
    return ids


def article_related(*, article: Article, user, limit: int = 5) -> list[Article]:
    """Published articles ``user`` may read that are like ``article``: semantic neighbours, then shared tags.

    Customers get public articles only; agents and editors internal ones too. The
    rows are re-read through ``articles_for_user``, so a stale index never leaks one.
    """
    readable = _readable_published(user).exclude(pk=article.pk)
    ids = _semantic_related_ids(article=article, user=user, limit=limit)
    found = readable.in_bulk(ids)
    related = [found[pk] for pk in ids if pk in found][:limit]
    tag_ids = list(article.tags.values_list("pk", flat=True))
    if len(related) < limit and tag_ids:
        more = (readable.exclude(pk__in=[a.pk for a in related]).filter(tags__in=tag_ids)
                .annotate(shared=Count("tags")).order_by("-shared", "-helpful_yes", "-views", "-pk"))
        related += list(more[:limit - len(related)])
    return related


def article_feedback_of(*, article: Article, user, session_key: str = ""):
    """The reader's own vote on ``article`` (signed in: by account, else by session), or None."""
    from kb.models import ArticleFeedback

    if user is not None and user.is_authenticated:
        mine = ArticleFeedback.objects.filter(article=article, user=user)
    elif session_key:
        mine = ArticleFeedback.objects.filter(article=article, user__isnull=True, session_key=session_key)
    else:
        return None
    return mine.order_by("-created_at", "-pk").first()


def articles_by_ids_for_user(*, ids: list[int], user) -> list[Article]:
    """Published articles among ``ids`` that ``user`` may read, in the order of ``ids``."""
    found = _readable_published(user).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def article_usage_signals(*, article: Article, queries: int = 10, comments: int = 10) -> dict:
    """What readers said and searched, for editors (counts are in ``article_usage``): the searches
    that led to ``article`` and the latest comments."""
    from kb.models import ArticleFeedback, ArticleView

    top = (ArticleView.objects.filter(article=article).exclude(query="").order_by().values("query")
           .annotate(n=Count("id")).order_by("-n", "query")[:queries])
    return {
        "top_queries": [(row["query"], row["n"]) for row in top],
        "comments": list(ArticleFeedback.objects.filter(article=article).exclude(comment="")
                         .order_by("-created_at", "-pk")[:comments]),
    }
