"""Agents' writes into the knowledge base (``kb.services.agents``, through the support app's services) and the
learning signals editors see per article."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from core.errors import ServiceError
from kb.models import Article, ArticleFeedback, ArticleFlag, ArticleView
from kb.services import article_mark_reviewed
from kb.services.agents import article_draft_capture, article_flag_get_or_create
from kb.usage_selectors import article_usage
from support import services as support_services
from support.models import SuggestionEvent
from tests.kb.editorial import make_article, make_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    return make_article(title="Open a port for a game console", status=Article.Status.PUBLISHED,
                        slug="open-a-port")


@pytest.fixture
def contact(alice):
    return support_services.contact_create(channel="chat", customer_email="alice@example.com",
                                           subject="NAT type strict", body="My Xbox says NAT type strict.")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queue_rows(html: str) -> list[tuple[str, str]]:
    # The first cell is the row's bulk-action checkbox; the title links from the second.
    return re.findall(r'<tr class="kb-queue-row([^"]*)">\s*<td>.*?</td>\s*<td><a href="[^"]*">([^<]+)</a>', html)


def test_a_flag_marks_the_article_and_puts_it_first_in_the_queue_with_its_note(agent, editor, published, contact):
    # A busy queue: a big candidate with much more demand than the flagged article.
    make_cluster(["Guest Wi-Fi for visitors", "Guest network on the H1", "Visitors' Wi-Fi"], demand=50.0)
    flag = support_services.article_flag(agent=agent, article=published, kind="outdated", contact=contact,
                                         note="UPnP is under Settings > Network since app 4.2, not Advanced.")
    assert (flag.kind, flag.flagged_by, flag.contact_id, flag.resolved) == ("outdated", agent, contact.pk, False)
    published.refresh_from_db()
    assert published.needs_review
    assert "agent flag (outdated): UPnP is under Settings > Network" in published.review_reason
    assert list(SuggestionEvent.objects.filter(contact=contact).values_list("action", flat=True)) == ["flagged"]

    html = signed_in(editor).get("/kb/").content.decode()
    assert queue_rows(html)[0] == (" needs-review", published.title)
    assert "UPnP is under Settings &gt; Network since app 4.2" in html


def test_the_same_flag_twice_is_kept_once_with_one_event(agent, published, contact):
    first = support_services.article_flag(agent=agent, article=published, kind="wrong", contact=contact,
                                          note="Port 3074 is UDP, not TCP.")
    again = support_services.article_flag(agent=agent, article=published, kind="wrong", contact=contact,
                                          note="Port 3074 is UDP, not TCP.")
    assert first.pk == again.pk and ArticleFlag.objects.count() == 1
    assert SuggestionEvent.objects.filter(action="flagged").count() == 1


def test_a_flag_without_a_contact_records_no_event(agent, published):
    flag, created = article_flag_get_or_create(agent=agent, article=published, kind="wrong", note="Port 3074 is UDP.")
    assert created and flag.contact_id is None
    assert not SuggestionEvent.objects.exists()


@pytest.mark.parametrize("kind, note, field", [
    ("ugly", "x", "kind"), ("wrong", "", "note"), ("wrong", "   ", "note"), ("wrong", "x" * 1001, "note"),
])
def test_bad_flags_are_refused_with_a_reason(agent, published, kind, note, field):
    with pytest.raises(ServiceError) as error:
        article_flag_get_or_create(agent=agent, article=published, kind=kind, note=note)
    assert error.value.field == field and error.value.message
    assert not ArticleFlag.objects.exists()
    published.refresh_from_db()
    assert not published.needs_review


def test_a_captured_draft_is_unassigned_says_where_it_came_from_and_waits_in_the_queue(agent, editor):
    article = article_draft_capture(agent=agent, title="Xbox NAT type strict", problem="NAT type strict.",
                                    solution="Turn on UPnP.", tags=["xbox", "nat"],
                                    origin="captured from contact #7 by agent agatha")
    assert (article.status, article.assigned_to, article.version) == ("draft", None, 1)
    version = article.versions.get()
    assert (version.author, version.note) == (agent, "captured from contact #7 by agent agatha")
    titles = [title for _, title in queue_rows(signed_in(editor).get("/kb/").content.decode())]
    assert "Xbox NAT type strict" in titles
    with pytest.raises(ServiceError):
        article_draft_capture(agent=agent, title="  ", problem="x", solution="y", origin="o")
    with pytest.raises(ServiceError):
        article_draft_capture(agent=agent, title="Empty", problem=" ", solution="", origin="o")


def test_editors_see_the_learning_signals_per_article(agent, editor, alice, published, contact):
    for via in ("search", "search", "suggest", "direct", "related"):
        ArticleView.objects.create(article=published, user=alice, via=via)
    ArticleFeedback.objects.create(article=published, helpful=True, user=alice)
    Article.objects.filter(pk=published.pk).update(helpful_yes=1, helpful_no=0)
    support_services.suggestions_record_shown(agent=agent, contact=contact, article_ids=[published.pk, published.pk])
    support_services.suggestion_insert(agent=agent, contact=contact, article=published)
    support_services.suggestion_insert(agent=agent, contact=contact, article=published)
    support_services.contact_link_article(agent=agent, contact=contact, article=published)
    support_services.suggestion_dismiss(agent=agent, contact=contact, article=published)
    support_services.article_flag(agent=agent, article=published, kind="wrong", note="Port 3074 is UDP.",
                                  contact=contact)
    published.refresh_from_db()

    usage = article_usage(article=published)
    assert (usage["views_from_search"], usage["views_other"]) == (3, 2)
    assert usage["views_by_via"] == {"search": 2, "suggest": 1, "related": 1, "agent": 0, "direct": 1}
    assert (usage["helpful_yes"], usage["helpful_no"]) == (1, 0)
    assert (usage["agent_shown"], usage["agent_inserts"], usage["agent_links"], usage["agent_dismissals"],
            usage["agent_flags"]) == (1, 2, 1, 1, 1)
    assert [(f["kind"], f["note"], f["flagged_by"], f["contact_id"]) for f in usage["open_flag_notes"]] == [
        ("wrong", "Port 3074 is UDP.", "agatha", contact.pk)]

    page = signed_in(editor).get(f"/kb/articles/{published.pk}/edit/").content.decode()
    assert "3 views from search, 2 otherwise" in page
    assert "inserted into 2 replies, linked as resolved-by 1×, dismissed 1×" in page
    assert "Port 3074 is UDP." in page and f"from contact #{contact.pk}" in page
    # The API carries the same figures for editors.
    api = signed_in(editor).get(f"/api/kb/articles/{published.pk}/").json()["usage"]
    assert api["agent_inserts"] == 2 and api["open_flag_notes"][0]["note"] == "Port 3074 is UDP."

    # Reviewing resolves the flags: nothing open is left on the page.
    article_mark_reviewed(editor=editor, article=published)
    assert article_usage(article=published)["open_flag_notes"] == []
    assert "Open flags from agents" not in signed_in(editor).get(f"/kb/articles/{published.pk}/edit/").content.decode()
