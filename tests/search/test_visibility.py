"""Who finds what: every role × public/internal/draft articles, and never hidden, deleted or held posts.

Checked through the API (what a client sees) and the selector (what every channel uses),
and once more after the source rows changed behind the index (the second, fetch-time check).
"""
from __future__ import annotations

import pytest

from search.selectors import search_documents
from tests.search.corpus import (  # noqa: F401  (corpus is a fixture)
    DELETED_WORD,
    DRAFT_WORD,
    HELD_ANSWER_WORD,
    HELD_QUESTION_WORD,
    HIDDEN_WORD,
    INTERNAL_WORD,
    corpus,
)

pytestmark = pytest.mark.django_db

INTERNAL_TITLE = "Beacon replacement (RMA) procedure for agents"
DRAFT_TITLE = "HearthGuard security subscription price change"
PUBLIC_TITLE = "Reset your Hearthlink H1 router to factory settings"

# role -> (sees internal, sees draft)
MATRIX = {
    "anonymous": (False, False),
    "member": (False, False),
    "agent": (True, False),
    "editor": (True, True),
    "admin": (True, True),
}


@pytest.fixture
def people(alice, agent, editor, admin_user):
    return {"anonymous": None, "member": alice, "agent": agent, "editor": editor, "admin": admin_user}


def api_titles(client, user, q: str, **params) -> list[str]:
    if user is not None:
        client.force_login(user)
    response = client.get("/api/search", {"q": q, "limit": 50, **params})
    assert response.status_code == 200
    return [r["title"] for r in response.json()["results"]]


@pytest.mark.parametrize("role", list(MATRIX))
def test_article_visibility_by_role(client, corpus, people, role):
    sees_internal, sees_draft = MATRIX[role]
    user = people[role]
    assert PUBLIC_TITLE in api_titles(client, user, "factory reset the router")
    assert (INTERNAL_TITLE in api_titles(client, user, f"beacon replacement procedure {INTERNAL_WORD}")) is sees_internal
    assert (DRAFT_TITLE in api_titles(client, user, f"hearthguard subscription price {DRAFT_WORD}")) is sees_draft


def test_the_internal_article_permission_alone_lets_a_user_find_internal_articles(client, corpus, make_user):
    """Search asks for the permission kb checks, not for a group: granted to one account directly
    (no agent or editor role), it finds internal articles; an account without it does not."""
    from django.contrib.auth.models import Permission

    granted, without = make_user("gwen"), make_user("walt")
    granted.user_permissions.add(Permission.objects.get(content_type__app_label="kb", codename="view_internal_article"))
    query = f"beacon replacement procedure {INTERNAL_WORD}"
    assert INTERNAL_TITLE in api_titles(client, granted, query)
    assert INTERNAL_TITLE not in api_titles(client, without, query)
    assert DRAFT_TITLE not in api_titles(client, granted, f"hearthguard subscription price {DRAFT_WORD}")


@pytest.mark.parametrize("role", list(MATRIX))
def test_no_role_ever_sees_hidden_deleted_or_held_posts(client, corpus, people, role):
    user = people[role]
    for word in (HIDDEN_WORD, DELETED_WORD, HELD_QUESTION_WORD, HELD_ANSWER_WORD):
        if user is not None:
            client.force_login(user)
        results = client.get("/api/search", {"q": f"router {word}", "limit": 50}).json()["results"]
        assert all(word not in (r["title"] + r["snippet"]) for r in results), (role, word)
    # The thread whose answer is held is still found, by its visible question, without the held answer.
    slow = [r for r in search_documents(query="slow internet upstairs firmware", user=user, limit=50)
            if r.title.startswith("Internet is slow upstairs")]
    assert slow and HELD_ANSWER_WORD not in slow[0].passage


@pytest.mark.parametrize("role", list(MATRIX))
def test_filters_do_not_widen_visibility(client, corpus, people, role):
    sees_internal, _ = MATRIX[role]
    titles = api_titles(client, people[role], f"beacon {INTERNAL_WORD}", type="article", tag="beacon")
    assert (INTERNAL_TITLE in titles) is sees_internal


def test_thread_hidden_after_indexing_is_dropped_when_rows_are_fetched(corpus, editor):
    from community.models import Thread
    from search.models import Document

    beacon = corpus.threads["beacon"]
    query = "Beacon satellite keeps dropping off the mesh"
    assert search_documents(query=query, user=editor)[0].object_id == beacon.pk
    # Behind the index's back: the document is still active, the thread is not visible any more.
    Thread.objects.filter(pk=beacon.pk).update(is_hidden=True)
    assert Document.objects.get(pk=corpus.documents["beacon"].pk).is_active
    for user in (None, editor):
        assert beacon.pk not in [r.object_id for r in search_documents(query=query, user=user, kinds=["question"])]


def test_article_made_internal_after_indexing_disappears_for_members(corpus, alice, agent):
    from search.models import Document

    Document.objects.filter(pk=corpus.documents["guest"].pk).update(visibility="internal")
    assert "Give visitors Wi-Fi with the guest network" not in [
        r.title for r in search_documents(query="guest network", user=alice)
    ]
    assert "Give visitors Wi-Fi with the guest network" in [
        r.title for r in search_documents(query="guest network", user=agent)
    ]


def test_recheck_reads_the_source_rows():
    """The fetch-time check alone, on unsaved rows: it must consult Thread, not trust Document."""
    from search.models import Document
    from search.permissions import allowed_visibilities, recheck_documents

    ghost = Document(pk=1, kind="question", object_id=999_999, title="t", text="", url="/", visibility="public",
                     is_active=True, content_hash="x")
    article = Document(pk=2, kind="article", object_id=1, title="a", text="", url="/", visibility="draft",
                       is_active=True, content_hash="y")
    assert allowed_visibilities(None) == ("public",)
    assert recheck_documents([ghost, article], user=None) == []
