"""Only http(s) addresses become links: a source's address, harvested thread and post addresses,
and every outbound link a page renders ("original thread", "source", editors' cluster pages)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from community.models import Post, Source, Thread
from core.errors import ServiceError
from core.outbound import is_web_url
from harvest.engine.records import PostRecord, ThreadRecord
from harvest.models import HarvestRun
from harvest.services import source_create
from harvest.store import ThreadStore
from kb.models import Cluster, ClusterMember

pytestmark = pytest.mark.django_db

HOSTILE = ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:alert(1)",
           "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
           "//evil.example/x", "/questions/1/", "mailto:someone@example.com"]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_web_addresses_count_as_web_urls(url):
    assert not is_web_url(url)


@pytest.mark.parametrize("url", ["https://forum.example/t/1", "HTTP://forum.example:8080/t?id=1#p2"])
def test_web_addresses_are_web_urls(url):
    assert is_web_url(url)


@pytest.mark.parametrize("url", ["javascript:alert(1)//", "data:text/html,hi", "ftp://dumps.example/beer.7z"])
def test_a_source_with_a_non_web_address_is_refused(url):
    with pytest.raises(ServiceError) as error:
        source_create(name="Hostile forum", kind="discourse", base_url=url)
    assert error.value.field == "base_url" and "http://" in error.value.message
    assert not Source.objects.filter(name="Hostile forum").exists()


def test_the_admin_source_form_refuses_a_non_web_address(client_for, admin_user):
    response = client_for(admin_user).post("/admin/community/source/add/", {
        "name": "Hostile", "slug": "hostile", "kind": "discourse", "base_url": "ftp://forum.example/",
        "schedule_minutes": 0, "trust": 0.5, "settings": "{}", "enabled": "on",
    })
    assert response.status_code == 200
    assert "http://" in response.content.decode() and not Source.objects.filter(slug="hostile").exists()


def test_the_store_drops_non_web_thread_and_post_addresses(settings):
    settings.SEARCH_AUTO_INDEX = False
    source = Source.objects.create(name="Forum", slug="forum", kind=Source.Kind.HTML)
    store = ThreadStore(source=source, run=HarvestRun.objects.create(source=source))
    store.add(ThreadRecord(external_id="1", title="A thread with hostile links", url="javascript:alert(1)",
                           posts=(PostRecord(external_id="p1", body_html="<p>hi</p>", is_question=True,
                                             url="data:text/html,x"),
                                  PostRecord(external_id="p2", body_html="<p>ok</p>",
                                             url="https://forum.example/p2"))), None)
    store.flush()
    thread = Thread.objects.get(source=source)
    assert thread.url == ""
    assert dict(thread.posts.values_list("external_id", "url")) == {"p1": "", "p2": "https://forum.example/p2"}


@pytest.fixture
def stored_hostile_thread(db):
    """A thread and post stored before addresses were checked, holding a script address."""
    source = Source.objects.create(name="Old forum", slug="old-forum", kind=Source.Kind.HTML)
    thread = Thread.objects.create(source=source, external_id="9", title="Router reboots every night at 3",
                                   author_name="someone", url="javascript:alert(document.domain)")
    Post.objects.create(thread=thread, external_id="9", is_question=True, author_name="someone",
                        body="<p>It reboots.</p>", body_format=Post.Format.HTML, url="javascript:alert(2)")
    return thread


def script_links(html: bytes) -> list[str]:
    page = BeautifulSoup(html, "lxml")
    return [a["href"] for a in page.select("a[href]") if not a["href"].strip().lower().startswith(("http", "/", "?", "#"))]


def test_a_stored_script_address_shows_as_text_on_the_thread_page(client, stored_hostile_thread):
    response = client.get(stored_hostile_thread.get_absolute_url())
    assert response.status_code == 200
    assert script_links(response.content) == []
    text = BeautifulSoup(response.content, "lxml").get_text(" ")
    assert "original thread (javascript:alert(document.domain))" in " ".join(text.split())


def test_a_stored_script_address_shows_as_text_on_the_cluster_page(client_for, editor, stored_hostile_thread):
    cluster = Cluster.objects.create(label=stored_hostile_thread.title, size=1)
    ClusterMember.objects.create(cluster=cluster, thread=stored_hostile_thread, similarity=1.0)
    response = client_for(editor).get(cluster.get_absolute_url())
    assert response.status_code == 200
    assert script_links(response.content) == []
    assert "javascript:alert(document.domain)" in response.content.decode()


def test_a_web_address_stays_a_link(client, stored_hostile_thread):
    Thread.objects.filter(pk=stored_hostile_thread.pk).update(url="https://forum.example.invalid/t/100")
    page = BeautifulSoup(client.get(stored_hostile_thread.get_absolute_url()).content, "lxml")
    link = page.find("a", string="original thread")
    assert link["href"] == "https://forum.example.invalid/t/100" and link["rel"] == ["nofollow", "noopener"]


def test_an_article_source_with_a_script_address_links_to_our_thread(client, client_for, editor,
                                                                      stored_hostile_thread):
    from kb.models import Article, ArticleSource
    from tests.kb.editorial import make_article

    article = make_article(title="Router reboots every night")
    Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
    ArticleSource.objects.create(article=article, thread=stored_hostile_thread, role=ArticleSource.Role.SOLUTION,
                                 url="javascript:alert(document.domain)")
    for response in (client.get(article.get_absolute_url()), client_for(editor).get(f"/kb/articles/{article.pk}/edit/")):
        assert response.status_code == 200
        assert script_links(response.content) == []
        page = BeautifulSoup(response.content, "lxml")
        assert page.find("a", string=stored_hostile_thread.title)["href"] == stored_hostile_thread.get_absolute_url()


def test_drafts_never_take_a_script_address_for_a_source(stored_hostile_thread):
    from kb.services.drafts import _post_url

    post = stored_hostile_thread.posts.get()
    assert _post_url(post, stored_hostile_thread) == post.get_absolute_url()
