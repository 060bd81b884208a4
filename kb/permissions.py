"""Who may do what in the knowledge base. One place, so the permission matrix is testable.

customer, member  read published public articles
agent             also read published internal articles (and flag/capture, in the support app)
editor            everything here: queue, clusters, drafts, edit, merge, split, dismiss, review, publish
admin             superuser: everything

Each ``check_*`` raises ``NotAllowed`` with a readable reason; each ``can_*`` returns a bool
for templates. Services assume the matching check passed.
"""
from __future__ import annotations

from core.errors import NotAllowed, ServiceError
from kb.models import Article, Cluster, ClusterMember
from kb.workflow import TransitionError, next_status, permission_for


def _has(user, perm: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(perm))


def _signed_in(user, what: str) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed(f"Sign in to {what}.", code="not_authenticated")


def can_edit(user) -> bool:
    """Editors (and admins) curate: queue, clusters, drafts, edits, merges, splits, reviews."""
    return _has(user, "kb.edit_article")


def can_publish(user) -> bool:
    return _has(user, "kb.publish_article")


def can_decide_suggestions(user, cluster: Cluster) -> bool:
    """Editors add "Maybe the same problem" questions to an open cluster, or say they are not its problem."""
    return can_edit(user) and cluster.status not in Cluster.CLOSED


def can_start_candidate(user, thread) -> bool:
    """Editors start a candidate for a question no cluster holds (``kb.services.cluster_start``)."""
    return can_edit(user) and not ClusterMember.objects.filter(thread=thread).exists()


def can_view_internal(user) -> bool:
    return _has(user, "kb.view_internal_article")


def can_view_article(user, article: Article) -> bool:
    """Published public: everyone; published internal: agents and editors; any other status: editors."""
    if article.status == Article.Status.PUBLISHED:
        return article.visibility == Article.Visibility.PUBLIC or can_view_internal(user) or can_edit(user)
    return can_edit(user)


def can_transition(user, article: Article, action: str) -> bool:
    try:
        next_status(article.status, action)
    except TransitionError:
        return False
    return _has(user, permission_for(action))


def check_can_edit(user) -> None:
    _signed_in(user, "work on the knowledge base")
    if not can_edit(user):
        raise NotAllowed("Only editors can work on the knowledge base.")


def check_can_publish(user) -> None:
    _signed_in(user, "publish articles")
    if not can_publish(user):
        raise NotAllowed("Only editors who may publish can do that.")


def check_can_transition(user, article: Article, action: str) -> None:
    """Permission only; the workflow itself (``TransitionError``) is checked by the service."""
    _signed_in(user, "change an article's status")
    try:
        perm = permission_for(action)
    except KeyError:
        return  # unknown action: the service answers with the list of known ones (a 400)
    if not _has(user, perm):
        raise NotAllowed("Only editors who may publish can do that." if perm == "kb.publish_article"
                         else "Only editors can do that.")


def check_can_assign(user, assignee) -> None:
    """The acting user must be an editor; the assignee (when given) must be one too."""
    check_can_edit(user)
    if assignee is not None and not can_edit(assignee):
        # Bad input rather than a lack of permission: a 400, not a 403.
        raise ServiceError(f"{assignee.username} is not an editor and cannot be assigned.", code="not_editor",
                           field="assignee")
