"""Every workflow transition, allowed and refused, through the service an editor's button calls."""
from __future__ import annotations

import pytest

from core.errors import NotAllowed, ServiceError
from kb import permissions, services
from kb.models import Article
from kb.workflow import TRANSITIONS, TransitionError, actions_from, next_status

from tests.kb.editorial import make_article

S = Article.Status
ALL = list(S.values)
CASES = [(action, status) for action in TRANSITIONS for status in ALL]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_each_transition_from_each_status(db, editor, action, status):
    article = make_article(status=status)
    allowed, target, _ = TRANSITIONS[action]
    if status in allowed:
        services.article_transition(user=editor, article=article, action=action,
                                    visibility="internal" if action == "publish" else None)
        article.refresh_from_db()
        assert article.status == target
        assert article.versions.first().note.startswith(action.replace("_", " ")[:5])
        assert article.versions.first().author == editor
    else:
        with pytest.raises(ServiceError) as refused:
            services.article_transition(user=editor, article=article, action=action)
        assert refused.value.code == "bad_transition"
        assert "Cannot" in refused.value.message
        article.refresh_from_db()
        assert article.status == status and article.version == 1


def test_unknown_action_is_refused_with_the_known_ones():
    with pytest.raises(TransitionError, match="known: request_review"):
        next_status(S.DRAFT, "teleport")


def test_actions_offered_match_the_table():
    assert actions_from(S.DRAFT) == ["request_review", "publish", "archive"]
    assert actions_from(S.PUBLISHED) == ["unpublish", "archive"]
    assert actions_from(S.ARCHIVED) == ["reopen"]


def test_publish_sets_visibility_and_dates(db, editor):
    article = make_article(status=S.APPROVED)
    services.article_transition(user=editor, article=article, action="publish", visibility="internal")
    article.refresh_from_db()
    assert (article.status, article.visibility) == (S.PUBLISHED, "internal")
    assert article.published_at and article.last_reviewed_at
    assert article.versions.first().note == "published (internal)"


def test_publish_refuses_a_bad_visibility_and_an_empty_solution(db, editor):
    article = make_article(status=S.APPROVED)
    with pytest.raises(ServiceError, match="public or internal"):
        services.article_transition(user=editor, article=article, action="publish", visibility="everyone")
    empty = make_article(title="No answer yet", status=S.APPROVED, solution="")
    with pytest.raises(ServiceError, match="solution"):
        services.article_transition(user=editor, article=empty, action="publish", visibility="public")


def test_only_publish_takes_a_visibility(db, editor):
    article = make_article()
    with pytest.raises(ServiceError, match="Only publishing"):
        services.article_transition(user=editor, article=article, action="request_review", visibility="public")


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_agents_and_members_may_not_move_articles(db, agent, alice, action):
    article = make_article()
    for user in (agent, alice):
        with pytest.raises(NotAllowed):
            permissions.check_can_transition(user, article, action)
