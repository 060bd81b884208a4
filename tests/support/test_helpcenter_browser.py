"""An anonymous customer in a real browser: search from the home page, read, say "No", contact support.

Real chromium (Playwright), real live server, real embedding model and FAISS index.
Playwright runs in a thread of its own, as in ``tests/search/test_search_browser.py``:
the session-wide browser fixture keeps a sync Playwright loop in the main thread once
another folder's browser test has used it, and a second one cannot start there.
"""
from __future__ import annotations

import pytest

from tests.browser import in_browser
from tests.support.helpcenter_fixtures import help_index, publish_articles  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = "beacon ring blinking amber"


def test_customer_searches_reads_says_no_and_contacts_support(live_server, editor, help_index, embedder):
    from kb.models import ArticleFeedback, ArticleView
    from support.models import Contact

    # Published (and indexed after each commit) exactly as an editor's publish does it.
    articles = publish_articles(editor, indexed=True)
    amber = articles["amber"]
    seen = {}

    def scenario(page) -> None:
        from playwright.sync_api import expect

        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Hearthlink Help")
        box = page.get_by_role("combobox", name="Search help articles and the community")
        box.press_sequentially(QUERY, delay=15)
        suggestion = page.locator("#help-suggest li.suggestion").first
        expect(suggestion).to_contain_text(amber.title)

        box.press("Enter")
        page.wait_for_url("**/search/?q=*")
        result = page.locator("li.search-result").first
        expect(result).to_contain_text(amber.title)
        result.get_by_role("link", name=amber.title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(amber.title)

        feedback = page.locator("#feedback")
        expect(feedback.get_by_role("heading", name="Was this helpful?")).to_be_visible()
        feedback.get_by_role("button", name="No").click()
        expect(feedback.get_by_role("heading", name="Sorry it did not help.")).to_be_visible()
        feedback.get_by_label("What was missing or wrong? (optional)").fill("My ring is amber and blinking fast.")
        feedback.get_by_role("button", name="Send comment").click()
        expect(feedback.get_by_role("status")).to_contain_text("Thanks for your comment")

        feedback.get_by_role("link", name="contact support").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
        sent_with = page.locator("fieldset.help-context")
        expect(sent_with).to_contain_text(QUERY)
        expect(sent_with).to_contain_text(amber.title)
        expect(page.get_by_label("Subject")).to_have_value(QUERY)
        page.get_by_label("Your name").fill("Robin")
        page.get_by_label("E-mail address").fill("robin@example.org")
        page.get_by_label("How can we help?").fill("Moved the Beacon as the article says; still amber.")
        page.get_by_role("button", name="Send to support").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Thanks, we have your request")
        seen["confirmation"] = page.locator(".help-contact-number").inner_text()

    in_browser(live_server.url, scenario)

    contact = Contact.objects.get()
    assert seen["confirmation"] == f"#{contact.pk}"
    assert contact.search_terms == [QUERY] and list(contact.viewed_articles.all()) == [amber]
    assert contact.customer is None and contact.channel == "web_form"
    feedback = ArticleFeedback.objects.get(article=amber)
    assert feedback.helpful is False and feedback.comment == "My ring is amber and blinking fast."
    assert ArticleView.objects.filter(article=amber, via="search", query=QUERY).count() == 1


def test_contact_form_suggests_articles_as_the_customer_types(live_server, editor, help_index, embedder):
    """Opening a suggestion and leaving without sending is recorded as a deflection."""
    from support.models import Contact, ContactSuggestionOpen

    articles = publish_articles(editor, indexed=True)
    amber = articles["amber"]

    def scenario(page) -> None:
        from playwright.sync_api import expect

        page.goto("/help/contact/")
        suggestions = page.locator("#contact-suggest li a")
        expect(suggestions).to_have_count(0)
        page.get_by_label("Subject").press_sequentially("Beacon ring", delay=10)
        page.get_by_label("How can we help?").press_sequentially("It keeps blinking amber since Monday.", delay=10)
        expect(suggestions.first).to_have_text(amber.title)

        # The suggestion opens in a new tab on the article; what the customer wrote stays in the form.
        with page.context.expect_page() as opened:
            suggestions.first.click()
        article = opened.value
        article.wait_for_load_state()
        expect(article.get_by_role("heading", level=1)).to_have_text(amber.title)
        article.close()
        expect(page.get_by_label("How can we help?")).to_have_value("It keeps blinking amber since Monday.")

    in_browser(live_server.url, scenario)

    assert not Contact.objects.exists()
    opened = ContactSuggestionOpen.objects.get()
    assert opened.article == amber and opened.deflected
