"""Issue 6 end to end, in a real browser, three people: a customer, an agent, an editor.

The customer searches the help center, opens an article, says it did not help and contacts
support. The agent opens that contact, sees what the customer searched and read, finds the
relevant article among the suggestions, links it as resolved-by and flags it as outdated. The
editor finds the flagged article at the top of the queue, with the agent's note.
Real chromium, real live server, real embedding model and FAISS.
"""
from __future__ import annotations

import pytest

from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery 9"
QUERY = "firmware update stuck orange light"
NOTE = "Since firmware 3.1 an update can take two hours with the light orange; say so before 'restart once'."


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_customer_contacts_support_agent_links_and_flags_editor_sees_flag(console_kb, agent, editor,
                                                                           new_browser_page):
    from playwright.sync_api import expect

    from kb.models import ArticleFeedback, ArticleFlag
    from support.models import Contact, SuggestionEvent

    firmware = console_kb["firmware"]

    # --- The customer, not signed in -------------------------------------------------------------
    customer = new_browser_page()
    customer.goto("/")
    box = customer.get_by_role("combobox", name="Search help articles and the community")
    box.fill(QUERY)
    box.press("Enter")
    customer.wait_for_url("**/search/?q=*")
    customer.locator("li.search-result").get_by_role("link", name=firmware.title).click()
    expect(customer.get_by_role("heading", level=1)).to_have_text(firmware.title)

    feedback = customer.locator("#feedback")
    feedback.get_by_role("button", name="No").click()
    expect(feedback.get_by_role("heading", name="Sorry it did not help.")).to_be_visible()
    feedback.get_by_label("What was missing or wrong? (optional)").fill("Still orange after two hours.")
    feedback.get_by_role("button", name="Send comment").click()
    expect(feedback.get_by_role("status")).to_contain_text("Thanks for your comment")
    feedback.get_by_role("link", name="contact support").click()

    expect(customer.get_by_role("heading", level=1)).to_have_text("Contact support")
    customer.get_by_label("Your name").fill("Robin")
    customer.get_by_label("E-mail address").fill("robin@example.org")
    customer.get_by_label("How can we help?").fill("The router light has been orange for two hours during the "
                                                   "firmware update. Is it safe to restart it?")
    customer.get_by_role("button", name="Send to support").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Thanks, we have your request")
    contact = Contact.objects.get()
    expect(customer.locator(".help-contact-number")).to_have_text(f"#{contact.pk}")

    # --- The agent ---------------------------------------------------------------------------------
    desk = new_browser_page()
    log_in(desk, agent.username, "/console/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Contacts")
    desk.get_by_role("link", name=QUERY).click()  # the subject came from the customer's search
    context = desk.locator(".console-context")
    expect(context).to_contain_text(QUERY)
    expect(context.get_by_role("link", name=firmware.title)).to_be_visible()

    top = desk.locator("#suggestions li.suggestion").first
    expect(top.locator("h3")).to_contain_text(firmware.title)
    top.get_by_role("button", name="Link as resolved-by").click()
    expect(desk.locator("#resolved-by")).to_have_text(firmware.title)

    # The customer said it did not help: the agent flags it for the editors. (Only articles likely to
    # answer the contact are suggested, so this is the one on the page about it.)
    other = desk.locator("#suggestions li.suggestion", has_text=firmware.title)
    other.get_by_text("Flag as wrong or outdated").click()
    other.get_by_label("This article is").select_option("outdated")
    other.get_by_label("Note for the editors").fill(NOTE)
    other.get_by_role("button", name="Send flag to the editors").click()
    expect(desk.get_by_text(f"Flag on “{firmware.title}” sent to the editors' queue.")).to_be_visible()

    # --- The editor ---------------------------------------------------------------------------------
    review = new_browser_page()
    log_in(review, editor.username, "/kb/")
    row = review.locator("tr.kb-queue-row").first
    expect(row).to_contain_text(firmware.title)
    expect(row).to_contain_text("needs review")
    expect(row).to_contain_text(NOTE)

    # What the people above saw is what was stored.
    contact.refresh_from_db()
    assert contact.search_terms == [QUERY] and list(contact.viewed_articles.all()) == [firmware]
    assert contact.resolved_by == firmware and contact.customer is None
    assert ArticleFeedback.objects.get(article=firmware).comment == "Still orange after two hours."
    assert ArticleFlag.objects.get(article=firmware).note == NOTE
    assert set(SuggestionEvent.objects.filter(contact=contact).exclude(action="shown")
               .values_list("action", "article")) == {("linked", firmware.pk), ("flagged", firmware.pk)}
