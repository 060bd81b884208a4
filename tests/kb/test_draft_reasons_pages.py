"""The editor sees why a draft says what it says: the lead, each member's relation, each placed answer's
thread, relation and score, and the honest "no confident solution" note, on the cluster and edit pages."""
from __future__ import annotations

import pytest
from django.test import Client

from community.models import Post, Thread
from community.services import source_community
from kb.engine.draft import NO_SOLUTION
from kb.models import Cluster, ClusterMember
from kb.services.clustering import clusters_rebuild
from kb.services.drafts import article_draft_from_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(editor):
    client = Client()
    client.force_login(editor)
    return client


def test_cluster_and_edit_pages_show_why_each_answer_is_in_the_draft(page, small_corpus, embedder):
    clusters_rebuild(embedder=embedder)
    cluster = ClusterMember.objects.get(thread=small_corpus["guest"][0]).cluster
    article = cluster.article
    lead = cluster.lead

    for url in (f"/kb/clusters/{cluster.pk}/", f"/kb/articles/{article.pk}/edit/"):
        html = page.get(url).content.decode()
        assert "Why the draft says this" in html
        assert f"Lead question: <a href=\"{lead.get_absolute_url()}\">{lead.title}</a>" in html
        assert "Solution</span>" in html and "the lead&#x27;s own thread · score 12 · accepted" in html
        assert "answers the lead question in its own thread (accepted, score 12)" in html
        assert "Open the app and go to Settings &gt; Wi-Fi &gt; Guest network." in html  # the answer itself
        # Answers of the other threads were weighed against the lead, with the model's probability.
        assert "answers the lead with probability" in html
    cluster_html = page.get(f"/kb/clusters/{cluster.pk}/").content.decode()
    assert "similar to the lead question" in cluster_html and "Lead question</span>" in cluster_html


def test_the_api_gives_the_same_reasons(api_for, editor, small_corpus, embedder):
    clusters_rebuild(embedder=embedder)
    cluster = ClusterMember.objects.get(thread=small_corpus["guest"][0]).cluster
    api = api_for(editor)

    detail = api.get(f"/api/kb/clusters/{cluster.pk}/").json()
    versions = api.get(f"/api/kb/articles/{cluster.article.pk}/versions/").json()

    assert detail["cluster"]["lead"] == cluster.lead_id
    assert detail["threads"][0]["relation"] == "lead" and all(t["reason"] for t in detail["threads"])
    rows = versions["results"] if isinstance(versions, dict) else versions
    assert rows[-1]["reasons"]["answers"][0]["role"] == "solution"


def test_edit_page_says_when_there_is_no_confident_solution(page, alice, bob, embedder):
    lead = Thread.objects.create(source=source_community(), title="Beacon Plus fan makes a clicking noise",
                                 author=alice, author_name="alice")
    Post.objects.create(thread=lead, is_question=True, author=alice, author_name="alice",
                        body="My Beacon Plus started clicking every few minutes. Is that the fan?")
    Post.objects.create(thread=lead, author=bob, author_name="bob", body="Same here, any update?")
    cluster = Cluster.objects.create(lead=lead)
    ClusterMember.objects.create(cluster=cluster, thread=lead, relation="lead")
    article = article_draft_from_cluster(cluster=cluster, embedder=embedder)

    html = page.get(f"/kb/articles/{article.pk}/edit/").content.decode()

    assert NO_SOLUTION in html and "No answer was placed." in html
    assert "not an answer (me-too)" in html
