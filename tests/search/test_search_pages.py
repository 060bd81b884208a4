"""The results page, the suggestions partial, the header box and the ask form's similar questions."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from search.models import Document
from tests.search.corpus import INTERNAL_WORD, corpus  # noqa: F401  (corpus is a fixture)

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_results_page_shows_badges_snippets_and_links(client, corpus):
    response = client.get("/search/", {"q": "open a port for my console"})
    assert response.status_code == 200
    page = soup(response)
    first = page.select("li.search-result")[0]
    # Article links say they came from this search (the help center counts views from search).
    assert first.select_one("a")["href"] == "/kb/articles/2/?from=search&q=open%20a%20port%20for%20my%20console"
    assert first.select_one(".badge").get_text() == "Article"
    assert first.select_one(".snippet mark") is not None
    assert page.select_one("#search-q")["value"] == "open a port for my console"


def test_results_page_type_filter_and_badges(client, corpus):
    page = soup(client.get("/search/", {"q": "wifi trouble", "type": "thread"}))
    rows = page.select("li.search-result")
    assert rows and {row["data-type"] for row in rows} == {"thread"}
    assert rows[0].select_one(".badge").get_text() == "Harvested thread"
    assert page.select_one("#search-type option[selected]")["value"] == "thread"


def test_results_page_filters_are_choices_of_what_the_reader_may_find(client, corpus, editor):
    page = soup(client.get("/search/", {"q": "smart plugs 2.4 GHz"}))
    assert [o["value"] for o in page.select("#search-type option")] == ["", "article", "question", "thread"]
    tag_options = [o["value"] for o in page.select("#search-tag option")]
    assert tag_options[0] == "" and "wifi" in tag_options and "beacon" in tag_options
    assert "hearthguard" not in tag_options  # only a draft carries it
    sources = {o["value"]: o.get_text() for o in page.select("#search-source option")}
    assert sources["kb"] == "Knowledge base" and sources["homenet-forum"] == "Home network forum"
    assert page.select_one("input#search-tag") is None and page.select_one("input#search-source") is None
    # Results name their source as people read it, never by its slug.
    harvested = page.select_one('li.search-result[data-type="thread"]')
    assert harvested.select_one(".source").get_text() == "Home network forum"
    assert "homenet-forum" not in page.select_one("ol.search-results").get_text()

    client.force_login(editor)
    editor_tags = [o["value"] for o in soup(client.get("/search/", {"q": "price"})).select("#search-tag option")]
    assert "hearthguard" in editor_tags

    # A chosen filter stays selected, and filtering works from the choice.
    page = soup(client.get("/search/", {"q": "router", "source": "homenet-forum"}))
    assert page.select_one("#search-source option[selected]")["value"] == "homenet-forum"
    assert {row["data-type"] for row in page.select("li.search-result")} <= {"thread"}

    # Only types that exist are offered (the choices are cached for a few minutes).
    Document.objects.filter(kind="thread").update(is_active=False)
    cache.clear()
    page = soup(client.get("/search/", {"q": "router"}))
    assert [o["value"] for o in page.select("#search-type option")] == ["", "article", "question"]


def test_snippet_escapes_html_from_content(client, corpus, search_index_dir):
    from search.services.documents import document_upsert
    from search.services.rebuild import index_rebuild

    document_upsert(kind="article", object_id=99, title="Firmware notes", url="/kb/articles/99/", tags="",
                    text="Firmware 4.2 fixes <script>alert('x')</script> the mesh backhaul.", source="kb",
                    visibility="public", is_active=True)
    index_rebuild()
    html = client.get("/search/", {"q": "firmware mesh backhaul"}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_empty_page_shows_the_form_only(client):
    page = soup(client.get("/search/"))
    assert page.select_one("form.search-form") is not None and not page.select("li.search-result")


def test_suggestions_partial_lists_a_few_links(client, corpus):
    response = client.get("/search/suggest", {"q": "beacon keeps disconnecting"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = soup(response)
    items = page.select("li.suggestion a")
    assert 1 <= len(items) <= 6
    assert items[0].get_text(" ", strip=True) == "Community question Beacon satellite keeps dropping off the mesh"
    assert "Open a port for a game console (port forwarding)" not in page.get_text()
    assert page.select_one("li.suggestion-all a")["href"].startswith("/search/?q=beacon")
    assert "<html" not in response.content.decode()


def test_suggestions_respect_visibility(client, corpus, agent):
    q = f"beacon replacement procedure {INTERNAL_WORD}"
    assert "RMA" not in client.get("/search/suggest", {"q": q}).content.decode()
    client.force_login(agent)
    assert "Beacon replacement (RMA) procedure for agents" in client.get("/search/suggest", {"q": q}).content.decode()


def test_one_letter_suggests_nothing(client, corpus):
    assert soup(client.get("/search/suggest", {"q": "b"})).select("li") == []


def test_header_box_submits_to_the_search_page_with_debounced_suggestions(client):
    page = soup(client.get("/questions/"))
    form = page.select_one("form.header-search")
    assert form["action"] == "/search/"
    box = form.select_one("input[name=q]")
    assert box["hx-get"] == "/search/suggest"
    assert box["hx-trigger"] == "input changed delay:250ms"
    assert box["hx-target"] == "#site-suggest" and page.select_one("#site-suggest") is not None


def test_similar_questions_show_matching_titles_without_an_index(client, question, bob):
    from community.services import question_create

    question_create(author=bob, title="Guest network password on the H2 Pro",
                    body="Where do I change the guest network password on the H2 Pro?", tags=["setup"])
    response = client.get("/questions/similar/", {"title": "beacon keeps dropping"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    links = [a.get_text() for a in BeautifulSoup(response.content, "lxml").select("a")]
    assert links == [question.title]
    assert "<html" not in response.content.decode()  # a fragment for htmx, not a whole page
    nothing = client.get("/questions/similar/", {"title": "toaster oven"}, HTTP_HX_REQUEST="true")
    assert "No similar questions yet." in nothing.content.decode()


def test_ask_form_similar_questions_are_semantic(client, corpus, alice):
    client.force_login(alice)
    html = client.get("/questions/similar/", {"title": "my satellite node loses connection at night"}).content.decode()
    assert "Beacon satellite keeps dropping off the mesh" in html


def test_ask_form_shows_matching_articles_first(client, corpus, alice):
    client.force_login(alice)
    page = soup(client.get("/questions/similar/", {"title": "how do I open a port for my xbox"},
                           HTTP_HX_REQUEST="true"))
    lists = page.select("ul.similar-list")
    assert "similar-articles" in lists[0]["class"]
    first = lists[0].select_one("a")
    assert first.get_text() == "Open a port for a game console (port forwarding)"
    assert first["href"].startswith("/kb/articles/2/?from=suggest&q=how%20do%20I")
    # A customer is never offered an internal article.
    internal = {"title": f"beacon replacement procedure {INTERNAL_WORD}"}
    assert "RMA" not in client.get("/questions/similar/", internal).content.decode()


def test_similar_threads_returns_visible_threads_only(corpus, alice):
    from community.models import Thread
    from search.similar import similar_threads

    beacon = corpus.threads["beacon"]
    found = similar_threads(text="Beacon drops off the mesh every evening", user=alice)
    assert found and isinstance(found[0], Thread) and found[0].pk == beacon.pk
    assert beacon.pk not in [t.pk for t in similar_threads(text="Beacon drops off the mesh", exclude_id=beacon.pk)]
    Thread.objects.filter(pk=beacon.pk).update(is_hidden=True)
    assert beacon.pk not in [t.pk for t in similar_threads(text="Beacon drops off the mesh every evening")]


def test_similar_threads_keyword_fallback_without_any_index(alice, tags, settings, tmp_path):
    from community.services import question_create
    from search.backends import reset_backends
    from search.similar import similar_threads

    settings.SEARCH_INDEX_DIR = tmp_path / "no-index"
    reset_backends()
    thread = question_create(author=alice, title="Firmware update stuck at ninety percent", body="It hangs at ninety percent for an hour.",
                             tags=["firmware"])
    assert [t.pk for t in similar_threads(text="firmware update hangs", user=alice)] == [thread.pk]
    reset_backends()


def test_results_page_says_plainly_there_is_no_good_match_and_leads_to_help(client, corpus):
    page = soup(client.get("/search/", {"q": "best pizza dough hydration"}))
    state = page.select_one("section.no-good-match")
    assert state is not None and "No good match" in state.select_one("h2").get_text()
    still = state.select_one(".help-still")
    assert "Still need help?" in still.get_text()
    links = {a.get_text(strip=True): a["href"] for a in still.select("a")}
    assert links["Ask the community"].endswith("?title=best%20pizza%20dough%20hydration")
    assert links["Contact support"] == "/help/contact/"
    # The closest results are still listed, each saying in words how weak it is; no count boasts of them.
    rows = page.select("li.search-result")
    assert rows and all("weak" in row["class"] for row in rows)
    assert {row.select_one(".relevance").get_text(strip=True) for row in rows} == {"Unlikely to help"}
    assert "results for" not in page.get_text() and "%" not in page.select_one("ol.search-results").get_text()


def test_results_page_for_a_good_match_says_which_results_are_likely_to_help(client, corpus):
    page = soup(client.get("/search/", {"q": "how do I reset my H1 router to factory settings"}))
    assert page.select_one("section.no-good-match") is None
    first, *rest = page.select("li.search-result")
    assert first.select_one(".relevance").get_text(strip=True) == "Likely to help" and "weak" not in first["class"]
    # Where it comes from and how likely it helps read as two things, not "Knowledge base Likely to help".
    assert " ".join(first.select_one("p.meta").get_text().split()).endswith("Knowledge base · Likely to help")
    assert rest and all("weak" in row["class"] for row in rest)
    assert page.select_one(".help-still") is not None  # still offered below the results


def test_suggestions_leave_out_weak_matches(client, corpus):
    page = soup(client.get("/search/suggest", {"q": "how do I reset my H1 router to factory settings"}))
    titles = [a.get_text(" ", strip=True) for a in page.select("li.suggestion a")]
    assert titles == ["Article Reset your Hearthlink H1 router to factory settings"]


def test_suggestions_say_no_good_match_and_lead_to_help(client, corpus):
    page = soup(client.get("/search/suggest", {"q": "what is the capital of australia"}, HTTP_HX_REQUEST="true"))
    assert page.select("li.suggestion") == []
    state = page.select_one(".suggest-none")
    assert state["role"] == "status" and "No good match" in state.get_text()
    assert "Still need help?" in state.get_text()
    assert {a.get_text(strip=True) for a in state.select("a")} == {"Ask the community", "contact support"}
    assert state.get("style") is None  # no inline styles: the page's Content-Security-Policy forbids them


def test_similar_questions_leave_out_questions_unlikely_to_be_the_same(corpus, alice):
    from search.similar import similar_threads

    assert similar_threads(text="What is the best pizza dough hydration for a crispy crust?", user=alice) == []
    found = similar_threads(text="my satellite node loses connection every evening", user=alice)
    assert [t.pk for t in found] == [corpus.threads["beacon"].pk]


def test_a_thread_page_lists_similar_questions_without_itself_and_without_logging_a_search(client, corpus, alice):
    from urllib.parse import quote

    from community.services import question_create
    from search.models import SearchQueryLog
    from search.services.rebuild import index_rebuild

    beacon = corpus.threads["beacon"]
    twin = question_create(author=alice, title="My Beacon satellite drops off the mesh every night",
                           body="The Beacon loses the H1 router every night and its ring turns amber.", tags=["beacon"])
    index_rebuild()
    box = soup(client.get(beacon.get_absolute_url())).select_one("aside.thread-similar #similar")
    assert box["hx-get"] == f"/questions/similar/?title={quote(beacon.title)}&exclude={beacon.pk}"
    assert box["hx-trigger"] == "load"
    listed = [a.get_text() for a in soup(client.get(box["hx-get"], HTTP_HX_REQUEST="true")).select("a")]
    assert listed == [twin.title]  # not the thread itself, nor the unrelated firmware question
    assert not SearchQueryLog.objects.exists()


def test_tags_show_the_label_their_source_wrote(client, corpus):
    from community.models import Tag

    Tag.objects.update_or_create(name="wifi", defaults={"label": "Wi-Fi"})
    cache.clear()
    page = soup(client.get("/search/", {"q": "wifi trouble"}))
    options = {o["value"]: o.get_text() for o in page.select("#search-tag option")}
    assert options["wifi"] == "Wi-Fi"
    chips = [a.get_text() for a in page.select("li.search-result a.tag") if a["href"].endswith("tag=wifi")]
    assert chips and set(chips) == {"Wi-Fi"}
    assert soup(client.get("/search/", {"q": "wifi trouble", "tag": "wifi"})).select_one(
        "#search-tag option[selected]")["value"] == "wifi"


def test_an_article_found_by_one_of_its_other_phrasings_shows_its_own_words(client, corpus):
    from search.services.documents import document_upsert
    from search.services.rebuild import index_rebuild

    document_upsert(kind="article", object_id=9, title="Beacon ring light colours",
                    text="White means the Beacon is connected; amber means a weak link to the router, so move it "
                         "closer; red means no link at all.",
                    url="/kb/articles/9/", tags="beacon", source="kb", visibility="public", is_active=True,
                    synonyms="satellite keeps flashing orange at night")
    index_rebuild()
    page = soup(client.get("/search/", {"q": "satellite keeps flashing orange at night"}))
    row = next(r for r in page.select("li.search-result") if r.select_one("a").get_text() == "Beacon ring light colours")
    snippet = row.select_one(".snippet").get_text()
    assert "flashing orange" not in snippet and "amber means a weak link" in snippet
