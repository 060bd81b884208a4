"""An editor's answer to "Maybe the same problem": add the question to the cluster, or say it is not its problem.

Every function assumes ``kb.permissions.check_can_edit(editor)`` passed (check, then do) and raises
``ServiceError`` with a readable message when a business rule says no. Adding is an editor's decision
like a merge or a split: the member is pinned and both clusters it touches are frozen, so no clustering
run undoes it. "Not the same problem" is remembered per cluster and question (``NotSameProblem``): the
question is never suggested there again, and no clustering run joins it there.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from core.errors import ServiceError
from kb.models import Article, ArticleSource, Cluster, ClusterMember, NotSameProblem
from kb.question_vectors import question_vectors
from kb.services.drafts import _changeable as article_draft_changeable  # the drafter's own rule
from kb.services.drafts import article_redraft_after_editor
from kb.services.freshness import article_mark_needs_review
from search.embeddings import get_embedder

CLOSED = Cluster.CLOSED


def _check_open(cluster: Cluster) -> None:
    if cluster.status in CLOSED:
        raise ServiceError(f"This candidate is {cluster.get_status_display().lower()}.", code="closed")


def _recount(cluster: Cluster) -> None:
    stats = ClusterMember.objects.filter(cluster=cluster).aggregate(
        size=Count("id"), sources=Count("thread__source", distinct=True))
    cluster.size, cluster.sources, cluster.frozen = stats["size"], stats["sources"], True
    cluster.save(update_fields=["size", "sources", "frozen", "updated_at"])


def _similarity(lead_id: int | None, thread_id: int) -> float:
    if lead_id is None:
        return 0.0
    ids, matrix, _ = question_vectors(thread_ids=[lead_id, thread_id], embedder=get_embedder())
    if lead_id not in ids or thread_id not in ids:
        return 0.0
    return float(matrix[ids.index(lead_id)] @ matrix[ids.index(thread_id)])


def _redraft_or_review(cluster: Cluster, reason: str, *, threads: set[int]) -> None:
    """After an editor changed ``cluster``'s questions: a draft no editor touched is drafted again; any
    other article keeps its text and, when ``reason`` concerns answers it uses or lacks, needs review."""
    article = Article.objects.filter(cluster=cluster).first()
    if article is None:
        return
    if article_draft_changeable(article):
        article_redraft_after_editor(cluster=cluster)
    elif article.status != Article.Status.ARCHIVED and threads:
        article_mark_needs_review(article=article, reason=reason)


@transaction.atomic
def cluster_member_add(*, editor, cluster: Cluster, thread) -> ClusterMember:
    """Put ``thread`` in ``cluster`` as a member an editor placed, out of the open candidate that held it.

    Precondition: ``check_can_edit(editor)``; ``thread`` is visible. Refused when the cluster is merged or
    dismissed, the thread is a member already, leads another cluster (merge the two instead) or sits in a
    merged or dismissed one. Both clusters are re-counted and frozen; each one's untouched draft is drafted
    again, and another article is marked "needs review" when it uses the moved thread's answers (the one it
    left) or does not use them yet (this one). A "not the same problem" said earlier is withdrawn.
    """
    _check_open(cluster)
    member = ClusterMember.objects.select_related("cluster").filter(thread=thread).first()
    if member is not None and member.cluster_id == cluster.pk:
        raise ServiceError("This question is already in this candidate.", code="member")
    other = member.cluster if member is not None else None
    if other is not None:
        if other.status in CLOSED:
            raise ServiceError(f"This question is in “{other}”, which is {other.get_status_display().lower()}.",
                               code="closed")
        if other.lead_id == thread.pk:
            raise ServiceError(f"This question leads candidate #{other.pk} “{other}”: merge the two instead.",
                               code="lead")
    NotSameProblem.objects.filter(cluster=cluster, thread=thread).delete()
    fields = dict(cluster=cluster, pinned=True, relation=ClusterMember.Relation.ADDED,
                  similarity=_similarity(cluster.lead_id, thread.pk), reason=f"added by {editor.username}"[:300])
    if member is None:
        member = ClusterMember.objects.create(thread=thread, **fields)
    else:
        for name, value in fields.items():
            setattr(member, name, value)
        member.save()
    _recount(cluster)
    if other is not None:
        _recount(other)
        used = ArticleSource.objects.filter(article__cluster=other, thread=thread).exclude(
            role=ArticleSource.Role.QUESTION).exists()
        _redraft_or_review(other, f"thread {thread.pk} moved to candidate #{cluster.pk} by an editor; "
                                  "the article still uses its answers", threads={thread.pk} if used else set())
    _redraft_or_review(cluster, f"thread {thread.pk} added by an editor; the article does not use it yet",
                       threads={thread.pk})
    return member


@transaction.atomic
def cluster_not_same(*, editor, cluster: Cluster, thread) -> NotSameProblem:
    """Remember that ``thread`` does not ask ``cluster``'s problem: never suggested or joined there again.

    Precondition: ``check_can_edit(editor)``. Refused for a member of the cluster (split it out instead)
    and for a merged or dismissed cluster. Saying it twice is harmless.
    """
    _check_open(cluster)
    if ClusterMember.objects.filter(cluster=cluster, thread=thread).exists():
        raise ServiceError("This question is in this candidate: split it out instead.", code="member")
    row, _ = NotSameProblem.objects.get_or_create(cluster=cluster, thread=thread, defaults={"editor": editor})
    return row

