"""The customer help center: home, articles with feedback and related articles, contact support, My help.

Pages through Django's test client (real database, real session, real templates); the
related-articles and search-link tests use the real embedding model and FAISS.
"""
from __future__ import annotations

import pytest
from django.test import Client

from kb.models import Article, ArticleFeedback, ArticleView
from support import services
from support.models import Contact, ContactMessage
from tests.support.helpcenter_fixtures import (  # noqa: F401  (fixtures)
    help_articles,
    help_index,
    indexed_articles,
)

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def vote(client, article, helpful: str, comment: str | None = None, *, htmx: bool = False):
    data = {"helpful": helpful}
    if comment is not None:
        data["comment"] = comment
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/help/articles/{article.slug}/feedback/", data, **headers)


def counts(article) -> tuple[int, int]:
    article.refresh_from_db()
    return article.helpful_yes, article.helpful_no


# --- home ------------------------------------------------------------------------------------


def test_home_for_anonymous_shows_search_popular_and_topics_but_no_internal_or_draft(client_for, help_articles):
    amber, guest = help_articles["amber"], help_articles["guest"]
    Article.objects.filter(pk=guest.pk).update(views=40, helpful_yes=9)
    response = client_for().get("/")
    assert response.status_code == 200
    page = html(response)
    assert "<h1" in page and "Hearthlink Help" in page
    # The prominent box asks the same suggestions endpoint as the header (articles and threads mixed).
    assert 'id="help-q"' in page and 'hx-get="/search/suggest"' in page and 'action="/search/"' in page
    popular = page[page.index('id="popular-h"'):page.index('id="topics-h"')]
    assert popular.index(guest.title) < popular.index(amber.title)
    topics = page[page.index('id="topics-h"'):]
    assert "Beacon" in topics and "Guest Network" in topics  # tag topics, as labelled on the tag
    assert help_articles["internal"].title not in page and help_articles["draft"].title not in page
    assert 'href="/questions/"' in page and 'href="/help/contact/"' in page and "Still need help?" in page
    assert "My help" not in page


def test_home_for_a_member_links_my_help(client_for, alice, help_articles):
    page = html(client_for(alice).get("/"))
    assert 'href="/help/me/"' in page and "My help" in page
    assert help_articles["internal"].title not in page


# --- article page: feedback ------------------------------------------------------------------


def test_anonymous_vote_then_change_counts_once(client_for, help_articles):
    article, client = help_articles["amber"], client_for()
    client.get(article.get_absolute_url())
    response = vote(client, article, "yes")
    assert response.status_code == 302 and response["Location"].endswith("#feedback")
    assert counts(article) == (1, 0)
    vote(client, article, "yes")  # the same answer again changes nothing
    assert counts(article) == (1, 0)
    vote(client, article, "no")
    assert counts(article) == (0, 1)
    assert ArticleFeedback.objects.filter(article=article).count() == 1
    # Another visitor (another session) is another vote.
    vote(client_for(), article, "no")
    assert counts(article) == (0, 2)
    page = html(client.get(article.get_absolute_url()))
    assert "Sorry it did not help." in page and 'aria-pressed="true">No' in page


def test_comment_is_kept_and_a_bare_vote_does_not_erase_it(client_for, alice, help_articles):
    article, client = help_articles["amber"], client_for(alice)
    response = vote(client, article, "no", "The ring is red, not amber.", htmx=True)
    assert response.status_code == 200
    partial = html(response)
    assert partial.lstrip().startswith("<section") and "Thanks for your comment" in partial
    assert "Contact support".lower() in partial.lower() and "/help/contact/" in partial
    feedback = ArticleFeedback.objects.get(article=article)
    assert (feedback.user, feedback.helpful, feedback.comment) == (alice, False, "The ring is red, not amber.")
    vote(client, article, "yes")
    feedback.refresh_from_db()
    assert feedback.helpful is True and feedback.comment == "The ring is red, not amber."
    assert counts(article) == (1, 0)


def test_signed_in_vote_follows_the_account_not_the_browser(client_for, alice, help_articles):
    article = help_articles["guest"]
    vote(client_for(alice), article, "yes")
    vote(client_for(alice), article, "no")  # another browser, same account
    assert counts(article) == (0, 1)
    assert ArticleFeedback.objects.filter(article=article, user=alice).count() == 1


def test_negative_feedback_marks_the_article_for_review(client_for, settings, help_articles):
    settings.KB_REVIEW_NEGATIVE_FEEDBACK = 2
    article = help_articles["offline"]
    vote(client_for(), article, "no")
    article.refresh_from_db()
    assert not article.needs_review
    # A reader who first said yes and then no counts as a "no" too.
    changer = client_for()
    vote(changer, article, "yes")
    vote(changer, article, "no")
    article.refresh_from_db()
    assert article.needs_review and "2 readers said it did not help" in article.review_reason


def test_bad_feedback_is_a_clear_400_and_records_nothing(client_for, editor, help_articles):
    article, client = help_articles["amber"], client_for()
    response = vote(client, article, "maybe", htmx=True)
    assert response.status_code == 400 and "Choose Yes or No." in html(response)
    long_comment = "x" * 1001
    response = vote(client, article, "no", long_comment)  # without JavaScript: a page with the text kept
    assert response.status_code == 400
    page = html(response)
    assert "at most 1000 characters" in page and long_comment in page
    assert ArticleFeedback.objects.count() == 0 and counts(article) == (0, 0)
    # An editor previewing a draft cannot vote on it; a customer cannot even see it.
    draft = help_articles["draft"]
    response = vote(client_for(editor), draft, "yes", htmx=True)
    assert response.status_code == 400 and "Only published articles" in html(response)
    assert vote(client, draft, "yes").status_code == 404
    assert vote(client, help_articles["internal"], "yes").status_code == 404
    assert client.get(f"/help/articles/{article.slug}/feedback/").status_code == 405


# --- article page: views, sources, related ------------------------------------------------


def test_internal_and_draft_articles_are_404_for_customers(client_for, alice, agent, editor, help_articles):
    internal, draft = help_articles["internal"], help_articles["draft"]
    for client in (client_for(), client_for(alice)):
        assert client.get(internal.get_absolute_url()).status_code == 404
        assert client.get(draft.get_absolute_url()).status_code == 404
    assert client_for(agent).get(internal.get_absolute_url()).status_code == 200
    assert client_for(editor).get(draft.get_absolute_url()).status_code == 200


def test_view_from_search_is_recorded_with_the_query_once_per_reading(client_for, editor, help_articles):
    article, client = help_articles["amber"], client_for()
    response = client.get(f"{article.get_absolute_url()}?from=search&q=beacon+amber+light")
    assert response.status_code == 200
    view = ArticleView.objects.get(article=article)
    assert (view.via, view.query, view.user) == ("search", "beacon amber light", None) and view.session_key
    article.refresh_from_db()
    assert article.views == 1
    client.get(article.get_absolute_url())  # a reload or coming back: the same reading
    client.get(f"{article.get_absolute_url()}?from=bogus")
    assert ArticleView.objects.filter(article=article).count() == 1
    client.get(f"{article.get_absolute_url()}?from=suggest&q=amber+ring")  # a new search that led here
    client.get(f"{article.get_absolute_url()}?from=related&q=ignored")
    assert sorted(ArticleView.objects.filter(article=article).values_list("via", "query")) == [
        ("related", ""), ("search", "beacon amber light"), ("suggest", "amber ring")]
    article.refresh_from_db()
    assert article.views == 3
    # Editors previewing a draft are not readers.
    client_for(editor).get(help_articles["draft"].get_absolute_url())
    assert not ArticleView.objects.filter(article=help_articles["draft"]).exists()
    # Editors see per article what readers did.
    page = html(client_for(editor).get(article.get_absolute_url()))
    assert "Searches that led here" in page and "beacon amber light" in page
    assert "search 1</span>" in page and "suggest 1</span>" in page and "related 1</span>" in page


def test_article_shows_sources_last_reviewed_feedback_and_still_need_help(client_for, help_articles):
    from kb.models import ArticleSource, Cluster
    from tests.kb.editorial import make_thread

    article = help_articles["guest"]
    thread = make_thread("Guest Wi-Fi for visitors")
    ArticleSource.objects.create(article=article, thread=thread, role="solution", author_name="sam_the_tech",
                                 license="CC BY-SA 4.0", url="https://community.example/q/1")
    assert Cluster.objects.count() == 0
    page = html(client_for().get(article.get_absolute_url()))
    assert "Sources and credit" in page and "sam_the_tech" in page and "CC BY-SA 4.0" in page
    assert f"Last reviewed {article.last_reviewed_at:%b} " in page
    assert "Was this helpful?" in page and 'name="helpful" value="no"' in page
    assert "Still need help?" in page


def test_related_falls_back_to_shared_tags_and_hides_internal_from_customers(client_for, agent, help_articles):
    amber, offline = help_articles["amber"], help_articles["offline"]
    page = html(client_for().get(amber.get_absolute_url()))
    related = page[page.index('id="related-h"'):]
    # No search index here: the neighbours come from shared tags.
    assert offline.title in related and f"{offline.get_absolute_url()}?from=related" in related
    assert help_articles["internal"].title not in page and help_articles["draft"].title not in page
    assert help_articles["guest"].title not in related
    agent_page = html(client_for(agent).get(amber.get_absolute_url()))
    assert help_articles["internal"].title in agent_page[agent_page.index('id="related-h"'):]


def test_articles_sharing_only_a_model_name_are_not_offered_as_related(client_for, help_articles):
    from community.models import Tag

    amber, guest = help_articles["amber"], help_articles["guest"]
    h1, _ = Tag.objects.get_or_create(name="h1")  # a model name: on articles about anything, no topic
    amber.tags.add(h1)
    guest.tags.add(h1)
    page = html(client_for().get(guest.get_absolute_url()))
    assert amber.title not in page
    page = html(client_for().get(amber.get_absolute_url()))
    related = page[page.index('id="related-h"'):]
    assert help_articles["offline"].title in related and guest.title not in related


def test_related_articles_come_from_the_search_index(agent, indexed_articles):
    from kb.usage_selectors import article_related
    from django.contrib.auth.models import AnonymousUser

    amber, offline, guest = indexed_articles["amber"], indexed_articles["offline"], indexed_articles["guest"]
    offline.tags.clear()  # no shared tag left: only meaning can relate the two Beacon articles
    related = article_related(article=amber, user=AnonymousUser())
    assert related and related[0] == offline
    assert indexed_articles["internal"] not in related and indexed_articles["draft"] not in related
    assert guest not in related
    assert indexed_articles["internal"] in article_related(article=amber, user=agent)


def test_related_articles_leave_out_articles_unlikely_to_be_about_the_same_thing(agent, indexed_articles):
    from django.contrib.auth.models import AnonymousUser

    from kb.usage_selectors import article_related

    guest = indexed_articles["guest"]
    # No shared tag, nothing else about visitors' Wi-Fi: the Beacon articles are only nearest, not related.
    assert article_related(article=guest, user=AnonymousUser()) == []
    assert article_related(article=guest, user=agent) == []


def test_search_links_carry_where_they_came_from_and_searches_are_remembered(client_for, indexed_articles):
    from core.help_context import help_context_read

    client, amber = client_for(), indexed_articles["amber"]
    page = html(client.get("/search/", {"q": "beacon blinking amber"}))
    assert f'{amber.get_absolute_url()}?from=search&amp;q=beacon%20blinking%20amber' in page
    assert "Still need help?" in page and "/questions/ask/?title=beacon%20blinking%20amber" in page
    for typed in ("be", "beac", "beacon ring amb"):
        suggestions = html(client.get("/search/suggest", {"q": typed}))
    assert f'{amber.get_absolute_url()}?from=suggest&amp;q=beacon%20ring%20amb' in suggestions
    # One search typed letter by letter is one term, after the earlier results-page search.
    assert help_context_read(client.session).terms == ["beacon blinking amber", "beacon ring amb"]


# --- still need help: ask the community ---------------------------------------------------------


def test_ask_the_community_is_prefilled_and_loads_similar_questions_at_once(client_for, alice):
    page = html(client_for(alice).get("/questions/ask/", {"title": "Beacon ring blinks amber"}))
    assert 'value="Beacon ring blinks amber"' in page
    assert 'hx-trigger="input changed delay:400ms, load"' in page
    # Anonymous visitors join (signing up, or logging in from there) and come back to the prefilled form.
    response = client_for().get("/questions/ask/?title=Beacon+ring")
    assert response.status_code == 302 and response["Location"] == "/community/join/?title=Beacon+ring"
    join = html(client_for().get(response["Location"]))
    assert "next=%2Fquestions%2Fask%2F%3Ftitle%3DBeacon%2Bring" in join


# --- still need help: contact support -----------------------------------------------------------


def contact_data(**overrides) -> dict:
    data = {"name": "Robin", "email": "robin@example.org", "subject": "Beacon ring amber",
            "message": "The article did not help: the ring is still amber after moving it."}
    data.update(overrides)
    return data


def test_contact_form_carries_searches_and_viewed_articles_and_confirms(client_for, help_articles):
    client = client_for()
    client.get("/search/", {"q": "amber ring on beacon"})
    client.get("/search/", {"q": "beacon offline at night"})
    amber, offline = help_articles["amber"], help_articles["offline"]
    client.get(amber.get_absolute_url())
    client.get(offline.get_absolute_url())
    form = html(client.get("/help/contact/"))
    # The visitor sees what will be sent, each item ticked and removable.
    assert "Sent with your request" in form and "amber ring on beacon" in form and amber.title in form
    assert 'value="beacon offline at night"' in form  # the subject, from the last search
    assert form.count('checked') >= 4
    response = client.post("/help/contact/", contact_data(
        terms=["amber ring on beacon", "beacon offline at night"], articles=[amber.pk]))  # unticked: offline
    assert response.status_code == 302 and response["Location"] == "/help/contact/sent/"
    contact = Contact.objects.get()
    assert contact.channel == "web_form" and contact.customer is None
    assert contact.search_terms == ["amber ring on beacon", "beacon offline at night"]
    assert list(contact.viewed_articles.all()) == [amber]
    assert contact.messages.get().body.startswith("The article did not help")
    sent = html(client.get("/help/contact/sent/"))
    assert f"#{contact.pk}" in sent and "robin@example.org" in sent and amber.title in sent
    # The context went out with the contact; the next form starts afresh.
    assert "Sent with your request" not in html(client.get("/help/contact/"))
    # Nobody else's browser sees the confirmation.
    assert client_for().get("/help/contact/sent/")["Location"] == "/help/contact/"


def test_anonymous_contact_with_a_members_address_never_links_the_account(client_for, alice):
    response = client_for().post("/help/contact/", contact_data(email="ALICE@example.com"))
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.customer is None and contact.customer_email == "ALICE@example.com"
    assert contact.subject not in html(client_for(alice).get("/help/me/"))


def test_signed_in_contact_needs_no_address_and_lands_in_my_help(client_for, alice, bob):
    client = client_for(alice)
    form = html(client.get("/help/contact/"))
    assert 'value="alice@example.com"' in form
    response = client.post("/help/contact/", contact_data(email="", name=""))
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.customer == alice and contact.customer_email == "alice@example.com"
    assert f'href="/help/me/contacts/{contact.pk}/"' in html(client.get("/help/contact/sent/"))
    # Writing from another address (even a member's) does not attach anything to anyone.
    client.post("/help/contact/", contact_data(email="bob@example.com", subject="For Bob's address"))
    other = Contact.objects.get(subject="For Bob's address")
    assert other.customer is None


def test_contact_form_rejects_empty_and_oversized_input_and_keeps_what_was_typed(client_for, help_articles):
    client = client_for()
    response = client.post("/help/contact/", contact_data(message="   ", email=""))
    assert response.status_code == 400
    page = html(response)
    assert "Write your message." in page and "Give an e-mail address so we can reply." in page
    assert 'value="Beacon ring amber"' in page
    huge = "word " * 4001  # 20,005 characters
    response = client.post("/help/contact/", contact_data(message=huge, subject="s" * 301))
    assert response.status_code == 400
    page = html(response)
    assert "The message can be at most 20000 characters" in page and "The subject can be at most 300" in page
    assert huge.strip() in page
    response = client.post("/help/contact/", contact_data(email="not-an-address"))
    assert response.status_code == 400 and "does not look like an e-mail address" in html(response)
    assert not Contact.objects.exists()


def test_anonymous_contacts_are_throttled(client_for, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "contact": "2/hour"}}
    client = client_for()
    for n in range(2):
        assert client.post("/help/contact/", contact_data(subject=f"Try {n}")).status_code == 302
    response = client.post("/help/contact/", contact_data(subject="Third try"))
    assert response.status_code == 429
    page = html(response)
    assert "Wait a while" in page and 'value="Third try"' in page
    assert Contact.objects.count() == 2
    # Another visitor (another address) is not held back by the first one.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/help/contact/", contact_data(subject="Someone else")).status_code == 302


# --- My help --------------------------------------------------------------------------------------


@pytest.fixture
def contacts(alice, bob):
    mine = services.contact_create(channel="web_form", customer_email="alice@example.com", subject="Amber ring",
                                   body="Still amber.", search_terms=["amber ring"])
    services.message_append(contact=mine, sender="agent", body="Try moving the Beacon closer to the router.")
    theirs = services.contact_create(channel="email", customer_email="bob@example.com", subject="Bob's router",
                                     body="Bob's private problem.")
    return mine, theirs


def test_my_help_lists_only_own_contacts_questions_and_answers(client_for, alice, bob, question, contacts):
    from community.services import answer_create

    mine, theirs = contacts
    answer_create(author=alice, thread=question, body="Answering my own question: moving it fixed it.")
    page = html(client_for(alice).get("/help/me/"))
    assert f"#{mine.pk} Amber ring" in page and "Open" in page
    assert "Bob's router" not in page
    assert question.title in page and "My answers" in page


def test_my_contact_shows_the_conversation_and_takes_a_reply(client_for, alice, contacts):
    mine, _ = contacts
    client = client_for(alice)
    page = html(client.get(f"/help/me/contacts/{mine.pk}/"))
    assert "Still amber." in page and "Try moving the Beacon closer" in page and "amber ring" in page
    response = client.post(f"/help/me/contacts/{mine.pk}/", {"body": "Moved it, still amber."})
    assert response.status_code == 302
    assert mine.messages.last().body == "Moved it, still amber." and mine.messages.last().sender == "customer"
    assert client.post(f"/help/me/contacts/{mine.pk}/", {"body": "  "}).status_code == 400
    services.contact_set_status(contact=mine, status=Contact.Status.CLOSED)
    page = html(client.get(f"/help/me/contacts/{mine.pk}/"))
    assert "This request is closed" in page and 'name="body"' not in page
    response = client.post(f"/help/me/contacts/{mine.pk}/", {"body": "Hello?"})
    assert response.status_code == 403 and "closed" in html(response)
    assert mine.messages.filter(body="Hello?").count() == 0


def test_someone_elses_contact_is_404_even_for_an_agent_and_anonymous_signs_in(client_for, alice, agent, contacts):
    mine, theirs = contacts
    assert client_for(alice).get(f"/help/me/contacts/{theirs.pk}/").status_code == 404
    assert client_for(alice).post(f"/help/me/contacts/{theirs.pk}/", {"body": "x"}).status_code == 404
    assert client_for(agent).get(f"/help/me/contacts/{mine.pk}/").status_code == 404
    for path in ("/help/me/", f"/help/me/contacts/{mine.pk}/"):
        response = client_for().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert ContactMessage.objects.filter(body="x").count() == 0
