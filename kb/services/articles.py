"""Editorial writes on articles: create, edit, move through the workflow, review, restore, assign.

Every function assumes its ``kb.permissions.check_*`` passed (check, then do) and
raises ``ServiceError`` with a readable message when a business rule says no.
Every change to an article saves a version (``kb.services.versions.version_save``).
Publishing, unpublishing and archiving keep the search document in step.
"""
from __future__ import annotations

import math
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from community.models import Tag
from core.errors import ServiceError
from core.slugs import unique_slug
from kb.models import Article, ArticleFlag, ArticleVersion, Cluster
from kb.permissions import check_can_assign
from kb.selectors import assignee_get
from kb.services.versions import version_save
from kb.signals import article_published, article_updated
from kb.workflow import TransitionError, next_status
from search.engine import markdown_to_text
from search.services.documents import document_remove, document_upsert

A = Article.Status
MAX_VARIANTS = 50


# --- search ------------------------------------------------------------------------------


def article_search_sync(*, article: Article) -> None:
    """Published articles are searchable with their visibility; any other status is taken out."""
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


def _pk(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def variants_clean(variants: list[str], *, title: str) -> list[str]:
    seen = {title.strip().casefold()}
    result = []
    for variant in variants:
        text = " ".join(str(variant).split())[:300]
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result[:MAX_VARIANTS]


def article_tags_set(article: Article, names: list[str]) -> None:
    names = sorted({slugify(name)[:50] for name in names if slugify(name)})
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    article.tags.set(Tag.objects.filter(name__in=names))


def article_slug(title: str) -> str:
    return unique_slug(title, queryset=Article.objects.all(), max_length=100, fallback="article")


@transaction.atomic
def article_create(*, editor, title: str, problem: str = "", solution: str = "", other_solutions: str = "",
                   variants: list[str] | None = None, tags: list[str] | None = None) -> Article:
    """A new draft written from scratch (no cluster). Precondition: ``check_can_edit(editor)``."""
    title = " ".join(title.split())
    if not title:
        raise ServiceError("Give the article a title.", field="title")
    article = Article.objects.create(
        title=title[:300], slug=article_slug(title), problem=problem, solution=solution,
        other_solutions=other_solutions, variants=variants_clean(variants or [], title=title), assigned_to=editor,
    )
    article_tags_set(article, tags or [])
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
    article.variants = variants_clean(variants, title=title)
    article.save()
    article_tags_set(article, tags)
    version_save(article=article, author=editor, note=note.strip() or "edited")
    if article.status == A.PUBLISHED:
        article_search_sync(article=article)
        article_updated.send(sender=Article, article_id=article.pk, actor_id=_pk(editor), how="edited")
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
    republished = article.published_at is not None
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
    if action == "publish":
        article_published.send(sender=Article, article_id=article.pk, actor_id=_pk(user), republished=republished)
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
    was_flagged_for_review = article.needs_review
    article.needs_review, article.review_reason = False, ""
    article.last_reviewed_at = timezone.now()
    if article.review_due and article.review_due <= timezone.localdate():
        article.review_due = None
    article.save()
    ArticleFlag.objects.filter(article=article, resolved=False).update(resolved=True)
    version_save(article=article, author=editor, note=note.strip() or "reviewed")
    if was_flagged_for_review and article.status == A.PUBLISHED:
        article_updated.send(sender=Article, article_id=article.pk, actor_id=_pk(editor), how="reviewed")
    return article


RESTORED_FIELDS = ("title", "problem", "solution", "other_solutions", "variants")


def _content_apply(article: Article, version: ArticleVersion) -> None:
    for field in RESTORED_FIELDS:
        setattr(article, field, getattr(version, field))
    article.save()


@transaction.atomic
def article_restore_version(*, editor, article: Article, number: int, publish: bool = False) -> ArticleVersion:
    """Bring back the content (title, text, variants) of version ``number`` as a new version, and return it.

    Precondition: ``check_can_edit(editor)``, and ``check_can_publish(editor)`` when ``publish``.
    On a published article the restored text becomes a *proposed* version to review: the
    live text stays until an editor publishes the proposal (``article_proposal_publish``),
    unless ``publish`` (the editor confirmed "restore and publish"). On any other status the
    text is restored in place (it is not live); an approved article goes back to review,
    since what was approved is not what it now says.
    """
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise ServiceError(f"This article has no version {number}.", code="not_found", field="number")
    if article.status == A.PUBLISHED and not publish:
        Article.objects.filter(pk=article.pk).update(version=F("version") + 1)
        article.refresh_from_db(fields=["version"])
        return ArticleVersion.objects.create(
            article=article, number=article.version, author=editor, proposed=True,
            note=f"restored v{number} as a draft to review (the published text stays live)",
            status=A.DRAFT, visibility=article.visibility,
            **{field: getattr(old, field) for field in RESTORED_FIELDS},
        )
    if publish and article.status != A.PUBLISHED:
        raise ServiceError("Only a published article can be restored and published at once; "
                           "restore, then publish it.", code="bad_transition", field="publish")
    _content_apply(article, old)
    if article.status == A.APPROVED:
        article.status = A.IN_REVIEW
        article.save(update_fields=["status", "updated_at"])
    version = version_save(article=article, author=editor,
                           note=f"restored v{number} and published" if publish else f"restored v{number}")
    if article.status == A.PUBLISHED:
        article_search_sync(article=article)
        article_updated.send(sender=Article, article_id=article.pk, actor_id=_pk(editor), how="restored")
    return version


@transaction.atomic
def article_proposal_publish(*, editor, article: Article, number: int) -> Article:
    """Make proposed version ``number`` the live text of the published article.

    Precondition: ``check_can_publish(editor)``. Only the latest version can be published
    this way: a later edit has superseded an older proposal.
    """
    proposal = ArticleVersion.objects.filter(article=article, number=number, proposed=True).first()
    if proposal is None:
        raise ServiceError(f"Version {number} is not a proposal waiting for review.", code="not_found")
    if proposal.number != article.version:
        raise ServiceError(f"Version {number} was superseded by a later change; restore it again.",
                           code="superseded")
    if article.status != A.PUBLISHED:
        raise ServiceError("The article is no longer published: edit it instead.", code="bad_transition")
    _content_apply(article, proposal)
    article.last_reviewed_at = timezone.now()
    article.save(update_fields=["last_reviewed_at", "updated_at"])
    version_save(article=article, author=editor, note=f"published v{number} ({proposal.note.split(' as ')[0]})")
    article_search_sync(article=article)
    article_updated.send(sender=Article, article_id=article.pk, actor_id=_pk(editor), how="restored")
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


@transaction.atomic
def item_assign(*, editor, item: Article | Cluster, username: str | None):
    """The assign flow of every page and endpoint: give ``item`` to the account named ``username``
    (empty or None unassigns) and return that account (or None).

    Precondition: ``check_can_edit(editor)``. An unknown account, or one that may not edit
    the knowledge base, is refused with a ``ServiceError`` (bad input, a 400).
    """
    assignee = assignee_get(username)
    check_can_assign(editor, assignee)
    if isinstance(item, Article):
        article_assign(editor=editor, article=item, assignee=assignee)
    else:
        article_assign(editor=editor, cluster=item, assignee=assignee)
    return assignee
