"""The agent's flow in a real browser: open a contact, use a suggestion in a reply, link it, flag another one.

Real articles indexed with the real model and FAISS; then the editor finds the flag at the top of the queue.
"""
from __future__ import annotations

import re

import pytest

from support import services
from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery 9"


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_agent_uses_suggestions_and_the_editor_sees_the_flag(console_kb, agent, editor, alice, new_browser_page):
    from playwright.sync_api import expect

    from kb.models import ArticleFlag
    from support.models import SuggestionEvent

    contact = services.contact_create(
        channel="chat", customer_email="alice@example.com", customer_name="Alice", subject="Wi-Fi for visitors",
        body="We have friends staying over the weekend. How do I give them Wi-Fi without them seeing my cameras?",
        search_terms=["guest wifi"])
    guest = console_kb["guest"]

    page = new_browser_page()
    log_in(page, "agatha", "/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    page.get_by_role("link", name="Wi-Fi for visitors").click()
    expect(page.locator("#conversation")).to_contain_text("without them seeing my cameras")

    sidebar = page.locator("#suggestions")
    first = sidebar.locator("li.suggestion").first
    expect(first.locator("h3")).to_contain_text(guest.title)
    expect(first.locator(".suggestion-snippet mark").first).to_be_visible()

    # Insert its link into the reply (client-side; the insert is recorded in the background) and send.
    reply = page.get_by_label("Reply to the customer")
    reply.fill("Hi Alice, this explains how to set it up:")
    first.get_by_role("button", name="Insert link").click()
    expect(reply).to_have_value(re.compile(r"set it up:\n\nGive visitors Wi-Fi with the guest network: http://\S+"
                                           r"/kb/give-visitors-wi-fi-with-the-guest-network/$"))
    expect(first.get_by_role("button", name="Insert link")).to_have_attribute("data-recorded", "true")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    sent = page.locator("#conversation li.from-agent")
    expect(sent).to_contain_text("/kb/give-visitors-wi-fi-with-the-guest-network/")

    # Link it as what resolved the contact.
    page.locator("li.suggestion", has_text=guest.title).get_by_role("button", name="Link as resolved-by").click()
    expect(page.locator("#resolved-by")).to_have_text(guest.title)

    # Flag it as outdated, with a note for the editors (it is the one article likely to answer this contact).
    other = page.locator("li.suggestion", has_text=guest.title)
    other_title = other.locator("h3 a").inner_text()
    other.get_by_text("Flag as wrong or outdated").click()
    other.get_by_label("This article is").select_option("outdated")
    other.get_by_label("Note for the editors").fill("The app moved this setting under Settings > Network in 4.2.")
    other.get_by_role("button", name="Send flag to the editors").click()
    expect(page.get_by_text(f"Flag on “{other_title}” sent to the editors' queue.")).to_be_visible()

    actions = sorted(SuggestionEvent.objects.filter(contact=contact).exclude(action="shown")
                     .values_list("action", flat=True))
    assert actions == ["flagged", "inserted", "linked"]
    assert ArticleFlag.objects.get().note == "The app moved this setting under Settings > Network in 4.2."

    # The editor finds the flagged article at the top of the queue, with the note.
    editor_page = new_browser_page()
    log_in(editor_page, "edith", "/kb/")
    top = editor_page.locator("tr.kb-queue-row").first
    expect(top).to_contain_text(other_title)
    expect(top).to_contain_text("needs review")
    expect(top).to_contain_text("The app moved this setting under Settings > Network in 4.2.")


def test_suggestions_follow_the_reply_as_the_agent_types(console_kb, agent, alice, new_browser_page):
    from playwright.sync_api import expect

    contact = services.contact_create(
        channel="chat", customer_email="alice@example.com", customer_name="Alice", subject="Wi-Fi for visitors",
        body="We have friends staying over the weekend. How do I give them Wi-Fi without them seeing my cameras?")
    page = new_browser_page()
    log_in(page, "agatha", f"/console/contacts/{contact.pk}/")
    top = page.locator("#suggestions li.suggestion h3 a").first
    expect(top).to_have_text(console_kb["guest"].title)

    reply = page.get_by_label("Reply to the customer")
    reply.click()
    reply.press_sequentially("For the game console: open its ports under Advanced, then Port forwarding.", delay=5)
    expect(top).to_have_text(console_kb["ports"].title)
    # The reply box keeps the focus and the text while the sidebar changes next to it.
    expect(reply).to_be_focused()
    expect(reply).to_have_value("For the game console: open its ports under Advanced, then Port forwarding.")

    # Excerpts from the new top suggestion insert its solution, once, with one link.
    page.locator("#suggestions li.suggestion").first.get_by_role("button", name="Insert excerpt").click()
    value = reply.input_value()
    assert "\n\n> In the Hearthlink app go to Advanced, then Port forwarding" in value
    assert value.count("/kb/open-a-port-for-a-game-console-port-forwarding/") == 1
    assert "NAT type strict or moderate" not in value

    # The sidebar's own search box finds articles the conversation did not bring up.
    page.get_by_label("Search articles, community questions and harvested threads").fill("reset the router")
    expect(page.locator("#console-search-results li").first).to_contain_text(console_kb["reset"].title)


def test_the_sidebar_shows_no_confident_suggestion_for_an_unrelated_conversation(console_kb, agent, new_browser_page):
    from playwright.sync_api import expect

    unrelated = services.contact_create(
        channel="email", customer_email="sam@example.org", subject="Refund for a late order",
        body="Hello, my order arrived two weeks late and the box was damaged. I would like a refund please.")
    related = services.contact_create(
        channel="chat", customer_email="kim@example.org", subject="Xbox NAT type strict",
        body="My Xbox says NAT type strict since I set up the router, and party chat keeps dropping people.")

    page = new_browser_page()
    log_in(page, "agatha", f"/console/contacts/{unrelated.pk}/")
    sidebar = page.locator("#suggestions")
    expect(sidebar.get_by_role("status")).to_contain_text("No confident suggestion")
    expect(sidebar.locator("li.suggestion")).to_have_count(0)

    page.goto(f"/console/contacts/{related.pk}/")
    sidebar = page.locator("#suggestions")
    expect(sidebar.locator("li.suggestion").first.locator("h3")).to_contain_text(
        "Open a port for a game console (port forwarding)")
    expect(sidebar.get_by_text("No confident suggestion")).to_have_count(0)
