"""Learning from use: readers' "was this helpful?" votes and article views, with how they got there.

These are the help center's writes on articles (editorial writes are in
``kb.services.articles``). Both count only published articles: an editor previewing a
draft is not a reader. The counters on ``Article`` (``helpful_yes``,
``helpful_no``, ``views``) are kept with ``F()`` updates so concurrent readers
never lose a count; the rows (``ArticleFeedback``, ``ArticleView``) keep the
detail editors look at (comments, the searches that led to an article).
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from core.errors import ServiceError
from kb.models import Article, ArticleFeedback, ArticleView
from kb.services.freshness import article_check_feedback

COMMENT_MAX_LENGTH = ArticleFeedback._meta.get_field("comment").max_length
QUERY_MAX_LENGTH = ArticleView._meta.get_field("query").max_length
# A reload, or coming back to the page within this window, is the same reading.
VIEW_REPEAT_WINDOW = timedelta(minutes=30)
QUERY_VIAS = (ArticleView.Via.SEARCH, ArticleView.Via.SUGGEST)


def _reader(user):
    return user if user is not None and user.is_authenticated else None


def _counter(helpful: bool) -> str:
    return "helpful_yes" if helpful else "helpful_no"


def _clean_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ServiceError(f"Your comment is {len(comment)} characters long; please keep it under "
                           f"{COMMENT_MAX_LENGTH}.", code="comment_too_long", field="comment")
    return comment


@transaction.atomic
def article_feedback_record(*, article: Article, helpful: bool, comment: str | None = None, user=None,
                            session_key: str = "") -> ArticleFeedback:
    """Record one reader's vote on ``article``: one vote per reader, a second one replaces the first.

    The reader is the signed-in ``user``, else the anonymous session ``session_key``.
    ``comment=None`` keeps the comment already given (a bare yes/no click); a string
    replaces it. Changing a vote moves one count between ``helpful_yes`` and
    ``helpful_no``. A new or changed "no" feeds the freshness check (``kb.services.freshness``).
    Precondition: the reader may see ``article`` (``kb.permissions.can_view_article``).
    """
    if article.status != Article.Status.PUBLISHED:
        raise ServiceError("Only published articles take feedback.", code="not_published")
    user = _reader(user)
    if user is None and not session_key:
        raise ServiceError("Your browser did not keep a session; allow cookies to send feedback.", code="no_session")
    comment = _clean_comment(comment)
    helpful = bool(helpful)
    # Lock the article: two tabs voting at once must not both create "the" vote.
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk", flat=True).first()
    mine = (ArticleFeedback.objects.filter(article=article, user=user) if user is not None
            else ArticleFeedback.objects.filter(article=article, user__isnull=True, session_key=session_key))
    feedback = mine.order_by("-created_at", "-pk").first()
    created = feedback is None
    changed = False
    if created:
        feedback = ArticleFeedback.objects.create(article=article, helpful=helpful, comment=comment or "",
                                                  user=user, session_key=session_key[:64])
        Article.objects.filter(pk=article.pk).update(**{_counter(helpful): F(_counter(helpful)) + 1})
    else:
        changed = feedback.helpful != helpful
        fields = []
        if changed:
            feedback.helpful = helpful
            # The date of the opinion, so freshness counts a changed vote as given after the last review.
            feedback.created_at = timezone.now()
            fields += ["helpful", "created_at"]
        if comment is not None and comment != feedback.comment:
            feedback.comment = comment
            fields.append("comment")
        if fields:
            feedback.save(update_fields=fields)
        if changed:
            old, new = _counter(not helpful), _counter(helpful)
            Article.objects.filter(pk=article.pk).update(**{old: Greatest(F(old) - 1, Value(0)), new: F(new) + 1})
    article.refresh_from_db(fields=["helpful_yes", "helpful_no", "needs_review", "review_reason", "last_reviewed_at"])
    if (created or changed) and not helpful:
        if article_check_feedback(article=article):
            article.refresh_from_db(fields=["needs_review", "review_reason"])
    return feedback


def _recent_view(*, article: Article, user, session_key: str, via: str, query: str) -> bool:
    """True when the same reader read ``article`` within the window and this visit adds nothing new.

    A direct visit (reload, back from feedback) never adds anything; arriving again
    from another search does, since the query is what editors learn from.
    """
    if user is None and not session_key:
        return False
    views = ArticleView.objects.filter(article=article, created_at__gte=timezone.now() - VIEW_REPEAT_WINDOW)
    views = views.filter(user=user) if user is not None else views.filter(user__isnull=True, session_key=session_key)
    if via != ArticleView.Via.DIRECT:
        views = views.filter(via=via, query=query)
    return views.exists()


@transaction.atomic
def article_view_record(*, article: Article, via: str = ArticleView.Via.DIRECT, query: str = "", user=None,
                        session_key: str = "") -> ArticleView | None:
    """Count one reading of ``article`` and remember how the reader got there; None when not counted.

    Not counted: articles that are not published (editors previewing), and the same
    reader coming back within ``VIEW_REPEAT_WINDOW`` with nothing new (see ``_recent_view``).
    An unknown ``via`` counts as a direct visit; ``query`` is kept only for
    search and suggestion visits.
    """
    if article.status != Article.Status.PUBLISHED:
        return None
    if via not in ArticleView.Via.values:
        via = ArticleView.Via.DIRECT
    query = " ".join((query or "").split())[:QUERY_MAX_LENGTH] if via in QUERY_VIAS else ""
    user = _reader(user)
    session_key = (session_key or "")[:64]
    if _recent_view(article=article, user=user, session_key=session_key, via=via, query=query):
        return None
    view = ArticleView.objects.create(article=article, user=user, session_key=session_key, via=via, query=query)
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
    return view
