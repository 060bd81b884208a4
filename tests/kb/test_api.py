"""The knowledge-base API as a client sees it: JSON in, JSON out, readable errors, never a 500."""
from __future__ import annotations

import pytest
from django.test import Client

from kb.models import Article, Cluster
from tests.kb.editorial import make_article, make_cluster, make_thread


@pytest.fixture
def api(editor):
    client = Client()
    client.force_login(editor)
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_edit_publish_and_read_back(api, agent):
    article = make_article(cluster=make_cluster(["Beacon drops", "Beacon amber"]))
    edited = api.patch(f"/api/kb/articles/{article.pk}/", {"solution": "Move the Beacon closer.", "tags": ["beacon"],
                                                             "note": "simpler"}, content_type="application/json")
    assert edited.status_code == 200
    body = edited.json()
    assert body["solution"] == "Move the Beacon closer." and body["title"] == article.title and body["tags"] == ["beacon"]
    assert body["sources"][0]["license"] == "CC BY-SA 4.0" and body["version"] == 2

    published = post(api, f"/api/kb/articles/{article.pk}/transition/", {"action": "publish", "visibility": "internal"})
    assert published.status_code == 200 and (published.json()["status"], published.json()["visibility"]) == (
        "published", "internal")

    reader = Client()
    reader.force_login(agent)
    assert reader.get(f"/api/kb/articles/{article.pk}/").json()["solution"] == "Move the Beacon closer."


def test_refused_transition_and_bad_input_are_400_with_a_reason(api):
    article = make_article(status=Article.Status.ARCHIVED)
    refused = post(api, f"/api/kb/articles/{article.pk}/transition/", {"action": "publish", "visibility": "public"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "bad_transition" and "archived" in refused.json()["detail"]
    unknown = post(api, f"/api/kb/articles/{article.pk}/transition/", {"action": "explode"})
    assert unknown.status_code == 400 and "action" in unknown.json()
    assert post(api, "/api/kb/articles/", {"title": ""}).status_code == 400
    assert post(api, f"/api/kb/articles/{article.pk}/review/", {"due": "2001-01-01"}).json()["field"] == "due"
    assert api.get("/api/kb/queue/?status=whatever").status_code == 400
    assert post(api, f"/api/kb/articles/{article.pk}/assign/", {"assignee": "nobody-here"}).status_code == 400
    merge = post(api, f"/api/kb/articles/{article.pk}/merge/", {"other_article": 1, "other_cluster": 2})
    assert merge.status_code == 400


def test_unknown_ids_are_404_json(api):
    for method, url in (("get", "/api/kb/clusters/999/"), ("get", "/api/kb/articles/999/"),
                        ("post", "/api/kb/articles/999/transition/"), ("get", "/api/kb/articles/999/versions/")):
        response = getattr(api, method)(url, {"action": "publish"} if method == "post" else None,
                                        content_type="application/json")
        assert response.status_code == 404 and response.json()["detail"], url
    article = make_article()
    assert api.get(f"/api/kb/articles/{article.pk}/versions/7/diff/").status_code == 404
    assert post(api, f"/api/kb/articles/{article.pk}/versions/7/restore/").status_code == 404
    assert post(api, f"/api/kb/articles/{article.pk}/merge/", {"other_article": 999}).status_code == 404


def test_queue_cluster_split_merge_dismiss(api):
    big = make_cluster(["Guest Wi-Fi setup", "Guest network password", "Parental controls bedtime"], demand=5)
    small = make_cluster(["Guest Wi-Fi for visitors"], demand=1)
    queue = api.get("/api/kb/queue/").json()
    assert queue["count"] == 2 and queue["results"][0]["cluster"]["id"] == big.pk

    detail = api.get(f"/api/kb/clusters/{big.pk}/").json()
    assert len(detail["threads"]) == 3 and detail["threads"][0]["accepted_answer"]["is_accepted"]
    parental = next(t["id"] for t in detail["threads"] if t["title"].startswith("Parental"))

    split = post(api, f"/api/kb/clusters/{big.pk}/split/", {"thread_ids": [parental]})
    assert split.status_code == 201 and split.json()["size"] == 1 and split.json()["frozen"]
    merged = post(api, f"/api/kb/clusters/{big.pk}/merge/", {"other_cluster": small.pk})
    assert merged.json()["cluster"]["size"] == 3 and merged.json()["article"] is None
    assert Cluster.objects.get(pk=small.pk).status == "merged"
    dismissed = post(api, f"/api/kb/clusters/{split.json()['id']}/dismiss/", {"reason": "not a router topic"})
    assert dismissed.json()["status"] == "dismissed"
    assert [r["cluster"]["id"] for r in api.get("/api/kb/queue/?status=dismissed").json()["results"]] == [split.json()["id"]]


def test_versions_diff_and_restore(api):
    article = make_article()
    api.patch(f"/api/kb/articles/{article.pk}/", {"solution": "Factory reset the Beacon."}, content_type="application/json")
    versions = api.get(f"/api/kb/articles/{article.pk}/versions/").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["author"]["username"] == "edith"
    diff = api.get(f"/api/kb/articles/{article.pk}/versions/2/diff/").json()
    assert diff["from"] == 1 and "<ins>Factory reset the Beacon.</ins>" in diff["html"] and "<del>" in diff["html"]
    restored = post(api, f"/api/kb/articles/{article.pk}/versions/1/restore/").json()
    assert restored["version"] == 3 and "halfway" in restored["solution"]


def test_kb_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/kb/queue/", "/api/kb/clusters/{cluster_id}/split/", "/api/kb/articles/{article_id}/transition/",
                 "/api/kb/articles/{article_id}/versions/{number}/diff/"):
        assert path in schema


def test_restoring_a_published_article_proposes_unless_publish_is_asked(api):
    article = make_article(status="published")
    api.patch(f"/api/kb/articles/{article.pk}/", {"solution": "Factory reset the Beacon."}, content_type="application/json")
    proposed = post(api, f"/api/kb/articles/{article.pk}/versions/1/restore/").json()
    assert proposed["solution"] == "Factory reset the Beacon." and proposed["version"] == 3
    live = post(api, f"/api/kb/articles/{article.pk}/versions/1/restore/", {"publish": True}).json()
    assert "halfway" in live["solution"] and live["status"] == "published"


def test_an_editor_starts_a_candidate_for_a_single_question_once(api):
    single = make_thread("Port forwarding ignored by the H1")

    started = post(api, "/api/kb/clusters/", {"thread_id": single.pk})

    assert started.status_code == 201
    body = started.json()
    assert body["size"] == 1 and body["frozen"] and Cluster.objects.get(pk=body["id"]).lead == single
    again = post(api, "/api/kb/clusters/", {"thread_id": single.pk})
    assert again.status_code == 400 and "already in a candidate" in again.json()["detail"]
    assert post(api, "/api/kb/clusters/", {"thread_id": 999999}).status_code == 404
    assert post(api, "/api/kb/clusters/", {}).status_code == 400
