"""Published articles in search: a customer finds the public one and never the internal one; an agent finds both."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kb import services
from kb.models import Article
from search.selectors import search_documents
from tests.kb.editorial import make_article


@pytest.fixture
def fresh_index(settings, tmp_path):
    from search.backends import reset_backends

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.SEARCH_INDEX_RELOAD_SECONDS = 0.0
    reset_backends()
    yield
    reset_backends()


def titles(query: str, user) -> list[str]:
    return [r.title for r in search_documents(query=query, user=user, kinds=["article"], log=False)]


def test_customer_sees_public_article_agent_sees_both(db, fresh_index, process_embedder, editor, agent, alice,
                                                      django_capture_on_commit_callbacks):
    public = make_article(title="Set up a guest Wi-Fi network for visitors", status=Article.Status.APPROVED,
                          solution="Open the Hearthlink app, go to Settings > Wi-Fi > Guest network and switch it on.")
    internal = make_article(title="Escalate a guest network that hands out no IP addresses",
                            status=Article.Status.APPROVED,
                            solution="Agents: check the DHCP pool of the guest network in the admin console, "
                                     "then escalate to tier 2 with the router's serial number.")
    draft = make_article(title="Guest Wi-Fi QR code card", solution="Print the guest network QR code from the app.")
    with django_capture_on_commit_callbacks(execute=True):
        services.article_transition(user=editor, article=public, action="publish", visibility="public")
        services.article_transition(user=editor, article=internal, action="publish", visibility="internal")

    query = "guest network wifi"
    for customer in (AnonymousUser(), alice):
        found = titles(query, customer)
        assert public.title in found and internal.title not in found and draft.title not in found
    found = titles(query, agent)
    assert public.title in found and internal.title in found and draft.title not in found
    # By meaning, not only by words: the public article answers a differently worded question.
    assert titles("how can my visitors get internet at my place", AnonymousUser())[0] == public.title

    with django_capture_on_commit_callbacks(execute=True):
        services.article_transition(user=editor, article=public, action="unpublish")
    assert public.title not in titles(query, agent)
