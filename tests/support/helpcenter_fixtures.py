"""Help-center test helpers: published articles (public, internal, draft) and a real search index.

Import the fixtures in a test module (``from tests.support.helpcenter_fixtures import ...  # noqa: F401``).
``help_index`` points search at a fresh index directory for the test; ``help_articles``
publishes a small Hearthlink knowledge base through the editors' own services and, with
``indexed=True`` (the ``indexed_articles`` fixture), indexes it with the real model and FAISS.
"""
from __future__ import annotations

import pytest

from kb.models import Article
from tests.kb.editorial import make_article

ARTICLES = {
    "amber": dict(title="Beacon ring blinks amber", tags=["beacon", "mesh"],
                  problem="The ring on my Beacon satellite blinks amber and the mesh keeps dropping.",
                  solution="An amber ring means a weak link to the H1. Move the Beacon halfway between the router "
                           "and the dead spot, then wait two minutes until the ring turns white."),
    "offline": dict(title="Beacon satellite goes offline every evening", tags=["beacon"],
                    problem="My Beacon mesh satellite disconnects from the router every night.",
                    solution="Update the firmware on the H1 and on every Beacon from the app, then restart the "
                             "Beacon. Keep it away from microwaves and cordless phone bases."),
    "guest": dict(title="Give visitors Wi-Fi with the guest network", tags=["guest-network"],
                  problem="Visitors need Wi-Fi without seeing my own devices.",
                  solution="In the Hearthlink app open Wi-Fi settings, then Guest network, and switch it on. "
                           "Guests get internet access but cannot see your printers or cameras."),
    "internal": dict(title="Beacon replacement (RMA) steps for agents", tags=["beacon"], visibility="internal",
                     problem="A Beacon satellite keeps dropping off the mesh and fails the diagnostic.",
                     solution="Open a replacement order in the warranty portal and send a prepaid return label."),
    "draft": dict(title="Beacon amber ring after the spring firmware", tags=["beacon"], status="draft",
                  problem="The Beacon ring blinks amber since the spring firmware.",
                  solution="Roll back is not possible; wait for the fix."),
}


@pytest.fixture
def help_index(settings, tmp_path):
    """A fresh, empty search index directory for this test (never the developer's ``var/index``)."""
    from search.backends import reset_backends

    settings.SEARCH_INDEX_DIR = tmp_path / "help-index"
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_backends()
    yield settings.SEARCH_INDEX_DIR
    reset_backends()


def publish_articles(editor, *, indexed: bool, capture=None) -> dict[str, Article]:
    """Create ``ARTICLES``; all but the draft are published through ``article_transition``.

    With ``indexed`` the search index is built as publishing does in production
    (indexing after commit); ``capture`` is pytest-django's on-commit capture, needed
    when the test runs inside a transaction.
    """
    from contextlib import nullcontext

    from community.models import Tag
    from kb import services

    articles = {}
    context = capture(execute=True) if (indexed and capture is not None) else nullcontext()
    with context:
        for key, spec in ARTICLES.items():
            article = make_article(title=spec["title"], solution=spec["solution"])
            Article.objects.filter(pk=article.pk).update(problem=spec["problem"])
            article.refresh_from_db()
            for name in spec["tags"]:
                Tag.objects.get_or_create(name=name, defaults={"topic": name.replace("-", " ").title()})
            article.tags.set(Tag.objects.filter(name__in=spec["tags"]))
            if spec.get("status") != "draft":
                services.article_transition(user=editor, article=article, action="publish",
                                            visibility=spec.get("visibility", "public"))
            article.refresh_from_db()
            articles[key] = article
    return articles


@pytest.fixture
def help_articles(db, editor, help_index) -> dict[str, Article]:
    """The articles above, published but not indexed (search answers by keyword, related by tags)."""
    return publish_articles(editor, indexed=False)


@pytest.fixture
def indexed_articles(db, editor, help_index, embedder, django_capture_on_commit_callbacks) -> dict[str, Article]:
    """The articles above, published and indexed with the real model and FAISS."""
    return publish_articles(editor, indexed=True, capture=django_capture_on_commit_callbacks)
