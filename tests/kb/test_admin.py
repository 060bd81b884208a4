"""The Django admin for articles (with their versions) and clusters: admins browse, filter,
search and read; edits stay in the workspace, where every change is a version."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(editor, tags):
    from kb.services import article_create, article_edit

    article = article_create(editor=editor, title="Give visitors Wi-Fi with the guest network",
                             problem="Visitors need Wi-Fi.", solution="Turn on the guest network.", tags=["mesh"])
    return article_edit(editor=editor, article=article, title=article.title, problem=article.problem,
                        solution="Turn on the guest network in the app.", other_solutions="", variants=[],
                        tags=["mesh"])


@pytest.fixture
def cluster(question):
    from kb.models import Cluster, ClusterMember

    cluster = Cluster.objects.create(label="Beacon drops off the mesh", size=1, sources=1, demand=3.0)
    ClusterMember.objects.create(cluster=cluster, thread=question, similarity=0.91)
    return cluster


@pytest.mark.parametrize("query", ["", "?q=guest", "?status__exact=draft", "?visibility__exact=internal",
                                   "?needs_review__exact=0", "?tags__id__exact=1", "?assigned_to__id__exact=1"])
def test_admin_lists_articles_with_filters_and_search(admin_client, article, query):
    assert admin_client.get(f"/admin/kb/article/{query}").status_code == 200


def test_article_search_and_filters_narrow_the_list(admin_client, article):
    assert article.title in admin_client.get("/admin/kb/article/", {"q": "guest"}).content.decode()
    assert article.title not in admin_client.get("/admin/kb/article/", {"q": "router reset"}).content.decode()
    assert article.title not in admin_client.get("/admin/kb/article/?status__exact=published").content.decode()


def test_an_article_page_is_read_only_with_its_versions_and_a_way_to_the_workspace(admin_client, article):
    response = admin_client.get(f"/admin/kb/article/{article.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/kb/articles/{article.pk}/edit/" in page and "Edit in the workspace" in page
    assert "created" in page and "Turn on the guest network in the app." in page  # versions and text shown
    assert article.versions.count() == 2 and 'name="status"' not in page and 'name="_save"' not in page
    assert admin_client.get("/admin/kb/article/add/").status_code == 403


@pytest.mark.parametrize("query", ["", "?q=beacon", "?status__exact=candidate", "?frozen__exact=0"])
def test_admin_lists_clusters_with_filters_and_search(admin_client, cluster, query):
    assert admin_client.get(f"/admin/kb/cluster/{query}").status_code == 200


def test_a_cluster_page_lists_its_threads(admin_client, cluster, question):
    response = admin_client.get(f"/admin/kb/cluster/{cluster.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert question.title in page and f"/kb/clusters/{cluster.pk}/" in page
