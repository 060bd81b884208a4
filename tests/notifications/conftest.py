"""Notification fixtures: people in each role around one community question, and an article."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    """Publishing an article updates its search document; these tests are about who hears of it."""
    settings.SEARCH_AUTO_INDEX = False


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a block's on-commit callbacks (the queued fan-out tasks run eagerly), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def carol(make_user):
    """A member who follows things by hand."""
    return make_user("carol")


@pytest.fixture
def asked(alice, tags, on_commit):
    """Alice's question, committed (so she follows it)."""
    from community.services import question_create

    with on_commit():
        return question_create(author=alice, title="Beacon satellite keeps dropping off the mesh",
                               body="Every evening my Beacon loses its link to the H1 router and the ring turns amber.",
                               tags=["mesh", "beacon"])


@pytest.fixture
def article(db, asked):
    """A draft article drawn from Alice's question."""
    from kb.models import Article, ArticleSource

    article = Article.objects.create(title="Beacon drops off the mesh", slug="beacon-drops",
                                     problem="The Beacon loses its link.", solution="Move it closer to the H1.")
    ArticleSource.objects.create(article=article, thread=asked, role=ArticleSource.Role.QUESTION)
    return article

