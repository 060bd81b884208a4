"""Editorial writes on candidates: merge, split, dismiss, start one, and the draft an editor asks for.

Every function assumes ``kb.permissions.check_can_edit(editor)`` passed (check, then do)
and raises ``ServiceError`` with a readable message when a business rule says no. Every
editor decision about a cluster freezes it, so re-clustering never undoes it.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count

from core.errors import ServiceError
from kb.models import Article, ArticleSource, Cluster, ClusterMember
from kb.services.articles import variants_clean, article_search_sync
from kb.services.drafts import _changeable as article_draft_changeable  # the drafter's own rule
from kb.services.drafts import article_draft_from_cluster, article_redraft_after_editor
from kb.services.freshness import article_mark_needs_review
from kb.services.versions import version_save

A, C = Article.Status, Cluster.Status


def _recount(cluster: Cluster) -> None:
    stats = ClusterMember.objects.filter(cluster=cluster).aggregate(
        size=Count("id"), sources=Count("thread__source", distinct=True)
    )
    cluster.size, cluster.sources = stats["size"], stats["sources"]
    cluster.save(update_fields=["size", "sources", "frozen", "status", "merged_into", "lead", "updated_at"])


def _resolve(item: Article | Cluster) -> tuple[Cluster | None, Article | None]:
    if isinstance(item, Article):
        return (Cluster.objects.filter(pk=item.cluster_id).first() if item.cluster_id else None), item
    return item, Article.objects.filter(cluster=item).first()


@transaction.atomic
def article_merge(*, editor, target: Article | Cluster, other: Article | Cluster) -> Article | Cluster:
    """Make one of two candidates or articles: ``other``'s threads, sources and phrasings move to ``target``.

    Precondition: ``check_can_edit(editor)``. ``other``'s cluster is marked merged
    and its article archived (out of search); both clusters are frozen. When only
    ``other`` has an article, that article moves to ``target``'s cluster. Returns
    the target's article, or its cluster when neither had an article.
    """
    t_cluster, t_article = _resolve(target)
    o_cluster, o_article = _resolve(other)
    if (t_article and o_article and t_article.pk == o_article.pk) or (t_cluster and o_cluster and t_cluster.pk == o_cluster.pk):
        raise ServiceError("Choose two different candidates or articles to merge.", code="same")
    for cluster in (t_cluster, o_cluster):
        if cluster is not None and cluster.status in Cluster.CLOSED:
            raise ServiceError(f"“{cluster}” is {cluster.get_status_display().lower()}; it cannot be merged.",
                               code="closed")
    for article in (t_article, o_article):
        if article is not None and article.status == A.ARCHIVED:
            raise ServiceError(f"“{article.title}” is archived; reopen it first.", code="archived")
    if t_cluster is None and o_cluster is not None:
        t_cluster = Cluster.objects.create(label=t_article.title, status=C.DRAFTED, frozen=True)
        Article.objects.filter(pk=t_article.pk).update(cluster=t_cluster)
        t_article.cluster = t_cluster
    if o_cluster is not None:
        # The target's lead stays the problem the article answers; the other's members are now the editor's call.
        o_cluster.members.update(cluster=t_cluster, pinned=True, relation=ClusterMember.Relation.EDITOR,
                                 reason="merged in by an editor")
        if t_cluster.lead_id is None:
            t_cluster.lead_id = o_cluster.lead_id
        o_cluster.evidence.update(cluster=t_cluster)
        o_cluster.status, o_cluster.merged_into, o_cluster.frozen = C.MERGED, t_cluster, True
        _recount(o_cluster)
    if t_cluster is not None:
        t_cluster.frozen = True
        _recount(t_cluster)

    if o_article is not None and t_article is None:
        # Only the other side was drafted: its article now speaks for the merged cluster.
        if o_cluster is not None:
            Article.objects.filter(pk=o_article.pk).update(cluster=None)
        o_article.cluster = t_cluster
        o_article.save()
        Cluster.objects.filter(pk=t_cluster.pk).update(status=C.DRAFTED)
        version_save(article=o_article, author=editor, note=f"moved to candidate “{t_cluster}” by a merge")
        return o_article
    if o_article is not None:
        known = set(ArticleSource.objects.filter(article=t_article).values_list("thread_id", "post_id", "role"))
        for source in o_article.sources.all():
            if (source.thread_id, source.post_id, source.role) not in known:
                source.pk, source.article = None, t_article
                # The other article's solution is, for the target, another working solution.
                source.role = ArticleSource.Role.OTHER if source.role == ArticleSource.Role.SOLUTION else source.role
                try:
                    with transaction.atomic():
                        source.save()
                except IntegrityError:
                    pass  # the same evidence under the same role already credited
        t_article.tags.add(*o_article.tags.all())
        phrasings = [o_article.title, *(o_article.variants or [])]
        t_article.variants = variants_clean([*(t_article.variants or []), *phrasings], title=t_article.title)
        t_article.save()
        o_article.status, o_article.needs_review = A.ARCHIVED, False
        o_article.save()
        version_save(article=o_article, author=editor, note=f"merged into “{t_article.title}”")
        article_search_sync(article=o_article)
    if t_article is None:
        return t_cluster
    if o_article is None and o_cluster is not None:
        t_article.variants = variants_clean([*(t_article.variants or []), o_cluster.label], title=t_article.title)
        t_article.save()
    version_save(article=t_article, author=editor,
                 note=f"merged “{o_article.title if o_article else o_cluster}” into this article")
    if t_article.status == A.PUBLISHED:
        article_search_sync(article=t_article)
    return t_article


@transaction.atomic
def cluster_split(*, editor, cluster: Cluster, thread_ids: list[int]) -> Cluster:
    """Move ``thread_ids`` out of ``cluster`` into a new candidate; both are frozen.

    Precondition: ``check_can_edit(editor)``. The threads must be members and at
    least one must stay. The cluster's article (if any) follows: a draft no editor has
    touched is drafted again from the threads that stay; any other article keeps its
    text and sources (attribution is owed for text it already uses) and, when it uses
    answers from threads that left, is marked "needs review" naming the new candidate.
    """
    ids = sorted({int(pk) for pk in thread_ids})
    if cluster.status in Cluster.CLOSED:
        raise ServiceError(f"This candidate is {cluster.get_status_display().lower()}.", code="closed")
    members = list(ClusterMember.objects.filter(cluster=cluster, thread_id__in=ids).select_related("thread"))
    if not ids or len(members) != len(ids):
        raise ServiceError("Choose threads of this cluster to split out.", field="thread_ids")
    if len(members) >= ClusterMember.objects.filter(cluster=cluster).count():
        raise ServiceError("Leave at least one thread in the cluster.", field="thread_ids")
    members.sort(key=lambda member: -member.similarity)
    # The split-out threads ask another problem: the one closest to the old lead leads the new candidate.
    new = Cluster.objects.create(label=members[0].thread.title[:500], status=C.CANDIDATE, frozen=True,
                                 lead=members[0].thread, demand=cluster.demand * len(members) / max(cluster.size, 1))
    ClusterMember.objects.filter(pk__in=[m.pk for m in members]).update(
        cluster=new, pinned=True, relation=ClusterMember.Relation.EDITOR, reason="split out by an editor")
    ClusterMember.objects.filter(cluster=new, thread=members[0].thread).update(relation=ClusterMember.Relation.LEAD)
    if cluster.lead_id in ids:
        cluster.lead = None  # the next draft chooses a lead among the threads left
    cluster.frozen = True
    _recount(cluster)
    _recount(new)
    article = Article.objects.filter(cluster=cluster).first()
    if article is not None:
        _article_after_split(article=article, cluster=cluster, new=new, moved={m.thread_id for m in members})
    return new


def _article_after_split(*, article: Article, cluster: Cluster, new: Cluster, moved: set[int]) -> None:
    if article_draft_changeable(article):
        article_redraft_after_editor(cluster=cluster)
        return
    used = set(ArticleSource.objects.filter(article=article, thread_id__in=moved)
               .exclude(role=ArticleSource.Role.QUESTION).values_list("thread_id", flat=True))
    if used:
        count = len(moved)
        article_mark_needs_review(article=article, reason=(
            f"split: {count} thread{'s' if count != 1 else ''} moved to candidate #{new.pk}; "
            f"the article still uses answers from {len(used)} of them"))


@transaction.atomic
def cluster_start(*, editor, thread) -> Cluster:
    """A candidate of its own for a question no cluster holds, led by it and frozen.

    Precondition: ``check_can_edit(editor)``. Problem clusters join only questions that ask
    the lead's problem, so most questions stay single; an editor who wants an article for one
    starts its candidate here and drafts it with ``article_from_cluster``.
    """
    if ClusterMember.objects.filter(thread=thread).exists():
        raise ServiceError("This question is already in a candidate.", code="clustered")
    cluster = Cluster.objects.create(label=thread.title[:500], status=C.CANDIDATE, frozen=True, lead=thread)
    ClusterMember.objects.create(cluster=cluster, thread=thread, pinned=True, relation=ClusterMember.Relation.LEAD,
                                 similarity=1.0, reason="started by an editor: the question this article answers")
    _recount(cluster)
    return cluster


@transaction.atomic
def cluster_dismiss(*, editor, cluster: Cluster, reason: str) -> Cluster:
    """Not worth an article: mark dismissed with the reason, frozen. Its draft (if any) is archived.

    Precondition: ``check_can_edit(editor)``. A published article must be archived first.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError("Say why the candidate is dismissed.", field="reason")
    if cluster.status in Cluster.CLOSED:
        raise ServiceError(f"This candidate is already {cluster.get_status_display().lower()}.", code="closed")
    article = Article.objects.filter(cluster=cluster).first()
    if article is not None and article.status == A.PUBLISHED:
        raise ServiceError("Its article is published: archive the article first.", code="published")
    cluster.status, cluster.dismissed_reason, cluster.frozen = C.DISMISSED, reason[:300], True
    cluster.save(update_fields=["status", "dismissed_reason", "frozen", "updated_at"])
    if article is not None and article.status != A.ARCHIVED:
        article.status = A.ARCHIVED
        article.save()
        version_save(article=article, author=editor, note=f"archived: candidate dismissed ({reason[:200]})")
        article_search_sync(article=article)
    return cluster


@transaction.atomic
def article_from_cluster(*, editor, cluster: Cluster) -> Article:
    """The cluster's article: the existing one, else a fresh draft from its threads.

    Precondition: ``check_can_edit(editor)``. Drafting itself (sources, evidence,
    version 1) is ``kb.services.drafts.article_draft_from_cluster``.
    """
    existing = Article.objects.filter(cluster=cluster).first()
    if existing is not None:
        return existing
    if cluster.status in Cluster.CLOSED:
        raise ServiceError(f"This candidate is {cluster.get_status_display().lower()}.", code="closed")
    if not ClusterMember.objects.filter(cluster=cluster).exists():
        raise ServiceError("This candidate has no threads to draft from.", code="empty")
    frozen = cluster.frozen
    # The drafter refuses frozen clusters so that re-clustering never rewrites an editor's
    # decision; here an editor asks for the draft, so it runs once and the flag is put back.
    cluster.frozen = False
    try:
        article = article_draft_from_cluster(cluster=cluster)
    except ValueError as exc:
        raise ServiceError("None of this candidate's threads is visible any more.", code="empty") from exc
    finally:
        cluster.frozen = frozen
    if frozen:
        Cluster.objects.filter(pk=cluster.pk).update(frozen=True)
    if article.assigned_to_id is None and cluster.assigned_to_id is None:
        # Whoever asked for the draft works on it unless someone was already assigned.
        Article.objects.filter(pk=article.pk).update(assigned_to=editor)
        Cluster.objects.filter(pk=cluster.pk).update(assigned_to=editor)
        article.assigned_to = editor
    return article

