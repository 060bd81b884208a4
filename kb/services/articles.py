"""Editorial writes: everything an editor does to a drafted candidate or an article.

Every function assumes its ``kb.permissions.check_*`` passed (check, then do) and
raises ``ServiceError`` with a readable message when a business rule says no.
Every change to an article saves a version (``kb.versions.version_save``); every
editor decision about a cluster freezes it, so re-clustering never undoes it.
Publishing, unpublishing and archiving keep the search document in step.
"""
from __future__ import annotations

import math
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify

from community.models import Tag
from core.errors import ServiceError
from core.slugs import unique_slug
from kb.models import Article, ArticleFlag, ArticleSource, ArticleVersion, Cluster, ClusterMember
from kb.versions import version_save
from kb.workflow import TransitionError, next_status

A, C = Article.Status, Cluster.Status
MAX_VARIANTS = 50


# --- search ------------------------------------------------------------------------------


def article_search_sync(*, article: Article) -> None:
    """Published articles are searchable with their visibility; any other status is taken out."""
    from search.engine import markdown_to_text
    from search.indexing import document_remove, document_upsert

    if article.status != A.PUBLISHED:
        document_remove(kind="article", object_id=article.pk)
        return
    text = "\n\n".join(markdown_to_text(part) for part in (article.problem, article.solution, article.other_solutions)
                       if part.strip())
    document_upsert(
        kind="article", object_id=article.pk, title=article.title, text=text or article.title,
        url=article.get_absolute_url(), tags=[tag.name for tag in article.tags.all()], source="kb",
        visibility=article.visibility, is_active=True, synonyms="\n".join(article.variants or []),
        # Helpful votes count, views a little (as threads do), so a much-read article is not buried.
        popularity=float(article.helpful_yes - article.helpful_no) + math.log1p(article.views),
    )


# --- articles ----------------------------------------------------------------------------


def _clean_variants(variants: list[str], *, title: str) -> list[str]:
    seen = {title.strip().casefold()}
    result = []
    for variant in variants:
        text = " ".join(str(variant).split())[:300]
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result[:MAX_VARIANTS]


def _set_tags(article: Article, names: list[str]) -> None:
    names = sorted({slugify(name)[:50] for name in names if slugify(name)})
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    article.tags.set(Tag.objects.filter(name__in=names))


def _unique_slug(title: str) -> str:
    return unique_slug(title, queryset=Article.objects.all(), max_length=100, fallback="article")


@transaction.atomic
def article_create(*, editor, title: str, problem: str = "", solution: str = "", other_solutions: str = "",
                   variants: list[str] | None = None, tags: list[str] | None = None) -> Article:
    """A new draft written from scratch (no cluster). Precondition: ``check_can_edit(editor)``."""
    title = " ".join(title.split())
    if not title:
        raise ServiceError("Give the article a title.", field="title")
    article = Article.objects.create(
        title=title[:300], slug=_unique_slug(title), problem=problem, solution=solution,
        other_solutions=other_solutions, variants=_clean_variants(variants or [], title=title), assigned_to=editor,
    )
    _set_tags(article, tags or [])
    version_save(article=article, author=editor, note="created")
    return article


@transaction.atomic
def article_edit(*, editor, article: Article, title: str, problem: str, solution: str, other_solutions: str,
                 variants: list[str], tags: list[str], note: str = "") -> Article:
    """Save new content as the next version. Precondition: ``check_can_edit(editor)``.

    A published article stays published and its search document is updated at once.
    """
    title = " ".join(title.split())
    if not title:
        raise ServiceError("The title cannot be empty.", field="title")
    if not solution.strip() and article.status == A.PUBLISHED:
        raise ServiceError("A published article needs a solution.", field="solution")
    article.title, article.problem, article.solution = title[:300], problem, solution
    article.other_solutions = other_solutions
    article.variants = _clean_variants(variants, title=title)
    article.save()
    _set_tags(article, tags)
    version_save(article=article, author=editor, note=note.strip() or "edited")
    if article.status == A.PUBLISHED:
        article_search_sync(article=article)
    return article


@transaction.atomic
def article_transition(*, user, article: Article, action: str, visibility: str | None = None) -> Article:
    """Move ``article`` through the workflow. Precondition: ``check_can_transition(user, article, action)``.

    ``publish`` takes ``visibility`` (public or internal; default: the article's current one).
    """
    try:
        status = next_status(article.status, action)
    except TransitionError as exc:
        raise ServiceError(str(exc), code="bad_transition", field="action") from exc
    note = action.replace("_", " ")
    if action == "publish":
        visibility = visibility or article.visibility
        if visibility not in Article.Visibility.values:
            raise ServiceError("Publish as public or internal.", code="bad_visibility", field="visibility")
        if not article.solution.strip():
            raise ServiceError("Write a solution before publishing.", code="no_solution", field="solution")
        article.visibility = visibility
        article.published_at = article.last_reviewed_at = timezone.now()
        note = f"published ({visibility})"
    elif action == "approve":
        article.last_reviewed_at = timezone.now()
    elif visibility is not None:
        raise ServiceError("Only publishing takes a visibility.", field="visibility")
    article.status = status
    article.save()
    if article.cluster_id and action in ("publish", "archive"):
        # A published or archived article is an editor's decision about its cluster.
        Cluster.objects.filter(pk=article.cluster_id).update(frozen=True)
    version_save(article=article, author=user, note=note)
    if action in ("publish", "unpublish", "archive") or article.status == A.PUBLISHED:
        article_search_sync(article=article)
    return article


@transaction.atomic
def article_schedule_review(*, editor, article: Article, due: date) -> Article:
    """Set the next freshness review date. Precondition: ``check_can_edit(editor)``."""
    if due < timezone.localdate():
        raise ServiceError("Choose a review date that is not in the past.", field="due")
    article.review_due = due
    article.save(update_fields=["review_due", "updated_at"])
    version_save(article=article, author=editor, note=f"review scheduled for {due.isoformat()}")
    return article


@transaction.atomic
def article_mark_reviewed(*, editor, article: Article, note: str = "") -> Article:
    """The editor checked the article: clear "needs review", resolve open flags, record the date.

    Precondition: ``check_can_edit(editor)``. A review date that has come is cleared too.
    """
    article.needs_review, article.review_reason = False, ""
    article.last_reviewed_at = timezone.now()
    if article.review_due and article.review_due <= timezone.localdate():
        article.review_due = None
    article.save()
    ArticleFlag.objects.filter(article=article, resolved=False).update(resolved=True)
    version_save(article=article, author=editor, note=note.strip() or "reviewed")
    return article


@transaction.atomic
def article_restore_version(*, editor, article: Article, number: int) -> Article:
    """Bring back the content (title, text, variants) of version ``number`` as a new version.

    Precondition: ``check_can_edit(editor)``. The workflow status and visibility stay
    as they are: restoring text must not silently publish or unpublish.
    """
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise ServiceError(f"This article has no version {number}.", code="not_found", field="number")
    for field in ("title", "problem", "solution", "other_solutions", "variants"):
        setattr(article, field, getattr(old, field))
    article.save()
    version_save(article=article, author=editor, note=f"restored v{number}")
    if article.status == A.PUBLISHED:
        article_search_sync(article=article)
    return article


@transaction.atomic
def article_assign(*, editor, article: Article | None = None, cluster: Cluster | None = None, assignee=None):
    """Give an article or a candidate to an editor (``assignee=None`` unassigns).

    Precondition: ``check_can_assign(editor, assignee)``. An article and its cluster share one assignee.
    """
    if (article is None) == (cluster is None):
        raise ValueError("pass exactly one of article or cluster")
    if cluster is not None:
        article = Article.objects.filter(cluster=cluster).first()
        Cluster.objects.filter(pk=cluster.pk).update(assigned_to=assignee)
        cluster.assigned_to = assignee
        if article is None:
            return cluster
    article.assigned_to = assignee
    article.save(update_fields=["assigned_to", "updated_at"])
    if article.cluster_id:
        Cluster.objects.filter(pk=article.cluster_id).update(assigned_to=assignee)
    version_save(article=article, author=editor, note=f"assigned to {assignee.username}" if assignee else "unassigned")
    return cluster if cluster is not None else article


# --- clusters ----------------------------------------------------------------------------


def _recount(cluster: Cluster) -> None:
    stats = ClusterMember.objects.filter(cluster=cluster).aggregate(
        size=Count("id"), sources=Count("thread__source", distinct=True)
    )
    cluster.size, cluster.sources = stats["size"], stats["sources"]
    cluster.save(update_fields=["size", "sources", "frozen", "status", "merged_into", "updated_at"])


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
        if cluster is not None and cluster.status in (C.MERGED, C.DISMISSED):
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
        o_cluster.members.update(cluster=t_cluster, pinned=True)
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
        t_article.variants = _clean_variants([*(t_article.variants or []), *phrasings], title=t_article.title)
        t_article.save()
        o_article.status, o_article.needs_review = A.ARCHIVED, False
        o_article.save()
        version_save(article=o_article, author=editor, note=f"merged into “{t_article.title}”")
        article_search_sync(article=o_article)
    if t_article is None:
        return t_cluster
    if o_article is None and o_cluster is not None:
        t_article.variants = _clean_variants([*(t_article.variants or []), o_cluster.label], title=t_article.title)
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
    least one must stay. The article (if any) keeps its sources: attribution is
    owed for text it already uses.
    """
    ids = sorted({int(pk) for pk in thread_ids})
    if cluster.status in (C.MERGED, C.DISMISSED):
        raise ServiceError(f"This candidate is {cluster.get_status_display().lower()}.", code="closed")
    members = list(ClusterMember.objects.filter(cluster=cluster, thread_id__in=ids).select_related("thread"))
    if not ids or len(members) != len(ids):
        raise ServiceError("Choose threads of this cluster to split out.", field="thread_ids")
    if len(members) >= ClusterMember.objects.filter(cluster=cluster).count():
        raise ServiceError("Leave at least one thread in the cluster.", field="thread_ids")
    members.sort(key=lambda member: -member.similarity)
    new = Cluster.objects.create(label=members[0].thread.title[:500], status=C.CANDIDATE, frozen=True,
                                 demand=cluster.demand * len(members) / max(cluster.size, 1))
    ClusterMember.objects.filter(pk__in=[m.pk for m in members]).update(cluster=new, pinned=True)
    cluster.frozen = True
    _recount(cluster)
    _recount(new)
    article = Article.objects.filter(cluster=cluster).first()
    if article is not None:
        version_save(article=article, author=editor,
                     note=f"split {len(members)} thread{'s' if len(members) != 1 else ''} out into candidate #{new.pk}")
    return new


@transaction.atomic
def cluster_dismiss(*, editor, cluster: Cluster, reason: str) -> Cluster:
    """Not worth an article: mark dismissed with the reason, frozen. Its draft (if any) is archived.

    Precondition: ``check_can_edit(editor)``. A published article must be archived first.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError("Say why the candidate is dismissed.", field="reason")
    if cluster.status in (C.MERGED, C.DISMISSED):
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
    version 1) is ``kb.drafts.article_draft_from_cluster``.
    """
    existing = Article.objects.filter(cluster=cluster).first()
    if existing is not None:
        return existing
    if cluster.status in (C.MERGED, C.DISMISSED):
        raise ServiceError(f"This candidate is {cluster.get_status_display().lower()}.", code="closed")
    if not ClusterMember.objects.filter(cluster=cluster).exists():
        raise ServiceError("This candidate has no threads to draft from.", code="empty")
    from kb.drafts import article_draft_from_cluster

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

