"""Workspace pages as an editor sees them, and the public read page."""
from __future__ import annotations

import pytest
from django.test import Client

from community.models import Post
from kb.models import Article, EvidenceNote
from tests.kb.editorial import make_article, make_cluster


@pytest.fixture
def page(editor):
    client = Client()
    client.force_login(editor)
    return client


def test_queue_lists_candidates_by_demand_with_filters(page):
    make_cluster(["Guest Wi-Fi setup"], demand=1)
    make_cluster(["Beacon drops off the mesh", "Beacon amber ring"], demand=7)
    html = page.get("/kb/").content.decode()
    assert html.index("Beacon drops off the mesh") < html.index("Guest Wi-Fi setup")
    assert "2 from 1 source" in html and 'name="assignee"' in html
    filtered = page.get("/kb/?status=published").content.decode()
    assert "Beacon drops" not in filtered and "Nothing in the queue for these filters" in filtered


def test_queue_filters_by_topic_and_the_cluster_page_names_it(page):
    from kb.models import Topic

    wifi = Topic.objects.create(label="Guest Wi-Fi setup", clusters_count=2, threads=3, demand=4)
    setup = make_cluster(["Guest Wi-Fi setup"], demand=1)
    speed = make_cluster(["Guest network bandwidth", "Guest speed cap"], demand=3)
    other = make_cluster(["Beacon drops off the mesh"], demand=7)
    for cluster in (setup, speed):
        cluster.topic = wifi
        cluster.save()

    html = page.get(f"/kb/?topic={wifi.pk}").content.decode()
    assert "Guest Wi-Fi setup (2 problems)" in html
    assert "Guest network bandwidth" in html and "Beacon drops off the mesh" not in html
    cluster_page = page.get(f"/kb/clusters/{speed.pk}/").content.decode()
    assert "Topic: Guest Wi-Fi setup (2 problems, 3 questions)" in cluster_page
    assert "Beacon drops off the mesh" in page.get("/kb/").content.decode() and other.topic is None


def test_cluster_page_shows_threads_votes_accepted_and_disagreements(page):
    cluster = make_cluster(["Guest Wi-Fi setup", "Guest network bandwidth"])
    first, second = (Post.objects.filter(thread__cluster_membership__cluster=cluster, is_question=False)
                     .order_by("pk"))
    Post.objects.filter(pk=second.pk).update(body="Set the guest bandwidth to 50.")
    EvidenceNote.objects.create(cluster=cluster, kind="contradiction", first_post=first, second_post=second,
                                reason="Different bandwidth advice")
    html = page.get(f"/kb/clusters/{cluster.pk}/").content.decode()
    assert "Guest network bandwidth" in html and cluster.members.first().thread.source.name in html
    assert "✓ accepted" in html and "Different bandwidth advice" in html
    assert "Set the guest bandwidth to 50." in html and "Draft an article" in html


def test_editor_page_offers_only_allowed_actions_and_saves(page):
    article = make_article(status=Article.Status.IN_REVIEW)
    html = page.get(f"/kb/articles/{article.pk}/edit/").content.decode()
    for allowed in ("request_changes", "approve", "publish", "archive"):
        assert f'value="{allowed}"' in html
    assert 'value="reopen"' not in html and 'value="unpublish"' not in html
    saved = page.post(f"/kb/articles/{article.pk}/edit/", {"title": article.title, "solution": "Move it.",
                                                           "variants": "beacon offline\nmesh drop", "tags": "beacon"})
    assert saved.status_code == 302
    article.refresh_from_db()
    assert article.variants == ["beacon offline", "mesh drop"] and article.version == 2
    bad = page.post(f"/kb/articles/{article.pk}/edit/", {"title": "   ", "solution": "x"})
    assert bad.status_code == 400


def test_preview_renders_markdown_and_strips_scripts(page):
    html = page.post("/kb/preview/", {"solution": "**Hold** the reset pin <script>alert(1)</script>"},
                     HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Hold</strong>" in html and "<script>" not in html


def test_workflow_buttons_and_review_date_on_the_page(page):
    article = make_article(status=Article.Status.APPROVED)
    page.post(f"/kb/articles/{article.pk}/action/", {"action": "publish", "visibility": "internal"})
    page.post(f"/kb/articles/{article.pk}/action/", {"action": "schedule_review", "due": "2099-03-01"})
    article.refresh_from_db()
    assert (article.status, article.visibility, str(article.review_due)) == ("published", "internal", "2099-03-01")
    refused = page.post(f"/kb/articles/{article.pk}/action/", {"action": "approve"}, follow=True)
    assert "Cannot approve" in refused.content.decode()


def test_versions_page_shows_diffs_and_restores(page):
    article = make_article()
    page.post(f"/kb/articles/{article.pk}/edit/", {"title": article.title, "solution": "Factory reset it."})
    html = page.get(f"/kb/articles/{article.pk}/versions/").content.decode()
    assert "<ins>Factory reset it.</ins>" in html and "Restore version 1" in html
    page.post(f"/kb/articles/{article.pk}/versions/1/restore/")
    article.refresh_from_db()
    assert "halfway" in article.solution and article.versions.first().note == "restored v1"


def test_read_page_credits_sources_with_license_and_review_date(db, editor):
    article = make_article(cluster=make_cluster(["Beacon drops off the mesh"]), status=Article.Status.APPROVED)
    staff = Client()
    staff.force_login(editor)
    staff.post(f"/kb/articles/{article.pk}/action/", {"action": "publish", "visibility": "public"})
    html = Client().get(f"/kb/{article.slug}/").content.decode()
    assert "<strong>Beacon</strong>" in html and "sam_the_tech" in html and "CC BY-SA 4.0" in html
    assert "creativecommons.org/licenses/by-sa/4.0" in html and "Last reviewed" in html
    # The editor's list of sources says what its number is.
    edit = " ".join(staff.get(f"/kb/articles/{article.pk}/edit/").content.decode().split())
    assert "CC BY-SA 4.0 · score " in edit
    assert "https://community.hearthlink.example/q/" in html
    # A source under an older version is credited with that version's deed, not 4.0's.
    source = article.sources.first()
    type(source).objects.filter(pk=source.pk).update(license="CC BY-SA 2.5")
    html = Client().get(f"/kb/{article.slug}/").content.decode()
    assert '<a href="https://creativecommons.org/licenses/by-sa/2.5/" rel="license">CC BY-SA 2.5</a>' in html
    assert Client().get("/kb/no-such-article/").status_code == 404
    assert Article.objects.get(pk=article.pk).views == 2
