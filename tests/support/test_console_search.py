"""The console sidebar's own search box: articles, community questions and harvested threads, with the
search's visibility rules (real model, real FAISS, through the test client)."""
from __future__ import annotations

import re

import pytest

from support import services
from tests.search.corpus import DRAFT_WORD, HIDDEN_WORD, INTERNAL_WORD, corpus  # noqa: F401  (fixture)
from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(alice):
    return services.contact_create(channel="email", customer_email="alice@example.com", subject="Plugs offline",
                                   body="My smart plugs dropped off the network.")


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" target="_blank" rel="noopener">([^<]+)</a></h3>', html)


def test_sidebar_search_finds_articles_community_and_harvested_threads(client_for, agent, contact, corpus):
    client = client_for(agent)
    url = f"/console/contacts/{contact.pk}/search/"

    html = client.get(url, {"q": "smart plugs 2.4 GHz band"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Smart plugs will not connect to the 2.4 GHz band" in titles(html)
    assert "Harvested thread</span>" in html

    html = client.get(url, {"q": "beacon drops off the mesh"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Beacon satellite keeps dropping off the mesh" in titles(html)
    assert "Community question</span>" in html

    # Agents see internal articles, never drafts nor hidden threads.
    html = client.get(url, {"q": f"beacon replacement {INTERNAL_WORD}"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Beacon replacement (RMA) procedure for agents" in titles(html)
    html = client.get(url, {"q": f"hearthguard price {DRAFT_WORD}"}, HTTP_HX_REQUEST="true").content.decode()
    assert "HearthGuard security subscription price change" not in html
    html = client.get(url, {"q": f"router lights {HIDDEN_WORD}"}, HTTP_HX_REQUEST="true").content.decode()
    assert HIDDEN_WORD not in html.replace(f'value="router lights {HIDDEN_WORD}"', "")


def test_sidebar_search_works_without_javascript(client_for, agent, contact, console_kb):
    """The contact page comes back with the results in the sidebar and the query kept."""
    page = client_for(agent).get(f"/console/contacts/{contact.pk}/search/", {"q": "guest network password"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="reply-body"' in html and 'value="guest network password"' in html
    results = html[html.index('id="console-search-results"'):]
    assert titles(results)[0] == "Give visitors Wi-Fi with the guest network"
    nothing = client_for(agent).get(f"/console/contacts/{contact.pk}/search/", {"q": "?!"})
    assert nothing.status_code == 400 and 'role="alert"' in nothing.content.decode()


def test_sidebar_search_is_for_agents_and_explains_an_empty_query(client_for, agent, alice, contact, corpus):
    url = f"/console/contacts/{contact.pk}/search/"
    assert client_for(alice).get(url, {"q": "plugs"}).status_code == 403
    # htmx swaps in only 2xx answers: the reason comes with a 200 there, a 400 without JavaScript.
    response = client_for(agent).get(url, {"q": "?!"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
