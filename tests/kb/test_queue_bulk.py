"""The queue acts on ticked items from one action bar, and explains "frozen"."""
from __future__ import annotations

from kb.models import Article, Cluster
from tests.kb.editorial import make_article, make_cluster


def test_bulk_assign_and_bulk_status(db, editor, make_user, client_for):
    other = make_user("otto", "editor")
    first = make_article(title="Beacon drops", cluster=make_cluster(["Beacon drops"]))
    second = make_article(title="Guest Wi-Fi", slug="guest-wifi", cluster=make_cluster(["Guest Wi-Fi"]))
    bare = make_cluster(["Parental controls"])
    client = client_for(editor)

    html = client.get("/kb/").content.decode()
    assert html.count('name="items"') == 3 and html.count(">Assign</button>") == 1

    client.post("/kb/bulk/", {"items": [f"article:{first.pk}", f"cluster:{bare.pk}"], "operation": "assign",
                              "assignee": "otto"})
    first.refresh_from_db()
    bare.refresh_from_db()
    assert first.assigned_to == other and bare.assigned_to == other
    assert Article.objects.get(pk=second.pk).assigned_to is None

    response = client.post("/kb/bulk/", {"items": [f"article:{first.pk}", f"article:{second.pk}", f"cluster:{bare.pk}"],
                                         "operation": "request_review"}, follow=True)
    assert set(Article.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"in_review"}
    html = response.content.decode()
    assert "Request review: 2 done." in html and "Skipped 1: Parental controls: no article yet" in html


def test_bulk_refuses_an_unknown_assignee_and_changes_nothing(db, editor, client_for):
    article = make_article()
    response = client_for(editor).post("/kb/bulk/", {"items": [f"article:{article.pk}"], "operation": "assign",
                                                     "assignee": "nobody-here"}, follow=True)
    assert "There is no account" in response.content.decode()
    assert Article.objects.get(pk=article.pk).assigned_to is None


def test_frozen_is_explained(db, editor, client_for):
    cluster = make_cluster(["Beacon drops"])
    Cluster.objects.filter(pk=cluster.pk).update(frozen=True)
    html = client_for(editor).get("/kb/").content.decode()
    assert 'title="Frozen: an editor decided about this candidate' in html
    assert "automatic re-clustering leaves its threads where they are" in html
