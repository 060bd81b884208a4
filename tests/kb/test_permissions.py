"""The permission matrix: every role against every workspace page, API endpoint and article read."""
from __future__ import annotations

import pytest
from django.test import Client

from kb.models import Article
from tests.kb.editorial import make_article, make_cluster, make_thread

ROLES = ("anonymous", "member", "agent", "editor", "admin")


@pytest.fixture
def world(db, alice, agent, editor, admin_user):
    cluster = make_cluster(["Beacon drops off the mesh", "Beacon amber ring", "Beacon loses the H1"])
    other = make_cluster(["Guest Wi-Fi setup", "Guest network password"])
    third = make_cluster(["Where is my order?"])
    article = make_article(cluster=make_cluster(["Firmware stuck at 80%", "Update hangs"]), title="Firmware stuck")
    single = make_thread("Port forwarding ignored by the H1")  # in no cluster
    users = {"anonymous": None, "member": alice, "agent": agent, "editor": editor, "admin": admin_user}
    return {"cluster": cluster, "other": other, "third": third, "article": article, "single": single,
            "users": users}


def client_as(world, role: str) -> Client:
    client = Client()
    if world["users"][role] is not None:
        client.force_login(world["users"][role])
    return client


def workspace_requests(world):
    c, o, a = world["cluster"].pk, world["other"].pk, world["article"].pk
    return [
        ("get", "/kb/", {}),
        ("get", f"/kb/clusters/{c}/", {}),
        ("get", f"/kb/articles/{a}/edit/", {}),
        ("get", f"/kb/articles/{a}/versions/", {}),
        ("post", "/kb/preview/", {"solution": "**bold**"}),
        ("post", "/kb/assign/", {"item": f"cluster:{c}", "assignee": ""}),
        ("post", f"/kb/clusters/{c}/action/", {"action": "merge", "other": f"cluster:{o}"}),
        ("post", f"/kb/articles/{a}/action/", {"action": "request_review"}),
        ("post", f"/kb/articles/{a}/edit/", {"title": "Firmware stuck at 80 percent", "solution": "Wait 10 min."}),
        ("post", f"/kb/articles/{a}/versions/1/restore/", {}),
    ]


def api_requests(world):
    c, o, a = world["cluster"].pk, world["other"].pk, world["article"].pk
    t = world["cluster"].members.last().thread_id
    return [
        ("get", "/api/kb/queue/", {}, 200),
        ("get", f"/api/kb/clusters/{c}/", {}, 200),
        ("post", f"/api/kb/clusters/{c}/assign/", {"assignee": None}, 200),
        ("post", f"/api/kb/clusters/{c}/split/", {"thread_ids": [t]}, 201),
        ("post", f"/api/kb/clusters/{c}/merge/", {"other_cluster": o}, 200),
        ("post", "/api/kb/clusters/", {"thread_id": world["single"].pk}, 201),
        ("post", "/api/kb/articles/", {"title": "Port forwarding on the H2 Pro"}, 201),
        ("patch", f"/api/kb/articles/{a}/", {"title": "Firmware stuck at 80 percent"}, 200),
        ("post", f"/api/kb/articles/{a}/transition/", {"action": "request_review"}, 200),
        ("post", f"/api/kb/articles/{a}/review/", {"due": "2099-01-01"}, 200),
        ("post", f"/api/kb/articles/{a}/assign/", {"assignee": None}, 200),
        ("get", f"/api/kb/articles/{a}/versions/", {}, 200),
        ("get", f"/api/kb/articles/{a}/versions/1/diff/", {}, 200),
        ("post", f"/api/kb/articles/{a}/versions/1/restore/", {}, 200),
        ("post", f"/api/kb/clusters/{world['third'].pk}/dismiss/", {"reason": "duplicate topic"}, 200),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_workspace_pages(world, role):
    client = client_as(world, role)
    for method, url, data in workspace_requests(world):
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif role in ("member", "agent"):
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302), (url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_api_endpoints(world, role):
    client = client_as(world, role)
    for method, url, data, ok in api_requests(world):
        response = getattr(client, method)(url, data, content_type="application/json")
        if role in ("editor", "admin"):
            assert response.status_code == ok, (url, response.status_code, response.content)
        else:
            assert response.status_code == 403, (url, response.status_code)
            assert response.json()["detail"]


READ = {  # (status, visibility) -> roles that may read it
    ("published", "public"): set(ROLES),
    ("published", "internal"): {"agent", "editor", "admin"},
    ("draft", "public"): {"editor", "admin"},
    ("in_review", "public"): {"editor", "admin"},
    ("approved", "internal"): {"editor", "admin"},
    ("archived", "public"): {"editor", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_article_read_page_and_api_by_visibility(world, role):
    client = client_as(world, role)
    for (status, visibility), readers in READ.items():
        article = make_article(title=f"Parental controls {status} {visibility}", status=status, visibility=visibility)
        page = client.get(f"/kb/{article.slug}/")
        api = client.get(f"/api/kb/articles/{article.pk}/")
        expected = 200 if role in readers else 404
        assert (page.status_code, api.status_code) == (expected, expected), (status, visibility)
        listed = [row["id"] for row in client.get("/api/kb/articles/").json()["results"]]
        assert (article.pk in listed) == (role in readers)


def test_usage_figures_are_for_editors_only(world):
    article = make_article(title="Port forwarding", status=Article.Status.PUBLISHED)
    assert client_as(world, "agent").get(f"/api/kb/articles/{article.pk}/").json()["usage"] is None
    usage = client_as(world, "editor").get(f"/api/kb/articles/{article.pk}/").json()["usage"]
    assert {k: usage[k] for k in ("views", "helpful_yes", "helpful_no", "flags", "open_flags")} == {
        "views": 0, "helpful_yes": 0, "helpful_no": 0, "flags": 0, "open_flags": 0}
    assert usage["agent_links"] == 0 and usage["open_flag_notes"] == []


def test_queue_link_in_the_header_only_for_editors(world):
    assert "KB queue" in client_as(world, "editor").get("/kb/").content.decode()
    assert "KB queue" not in client_as(world, "agent").get("/questions/").content.decode()
