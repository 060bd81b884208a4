"""Typing in the site header's search box shows suggestions (htmx, real browser, real index).

Playwright runs in a thread of its own here: ``tests.browser``'s session fixtures keep a sync
Playwright loop running in the main thread once any other folder's browser test has used them,
and a second sync Playwright cannot start in that thread. The browser, flags and timeouts are
the helper's.
"""
from __future__ import annotations

import pytest

from tests.browser import in_browser
from tests.search.corpus import corpus  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_header_box_suggests_as_you_type_and_submits_to_results(live_server, corpus):
    from playwright.sync_api import expect

    def scenario(page) -> None:
        page.goto("/questions/")
        box = page.get_by_role("combobox", name="Search")
        box.press_sequentially("my beacon keeps disconnecting", delay=15)
        suggestions = page.locator("#site-suggest li.suggestion")
        expect(suggestions.first).to_contain_text("Beacon satellite keeps dropping off the mesh")
        # Suggestions are links: following one opens the question.
        suggestions.first.locator("a").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Beacon satellite keeps dropping off the mesh")

        # Enter in the header box opens the full results page.
        page.get_by_role("combobox", name="Search").fill("open a port for my console")
        page.get_by_role("combobox", name="Search").press("Enter")
        page.wait_for_url("**/search/?q=*")
        first = page.locator("li.search-result").first
        expect(first).to_contain_text("Open a port for a game console (port forwarding)")
        expect(first.locator("mark").first).to_be_visible()

    in_browser(live_server.url, scenario)


def test_suggestion_dropdown_is_a_keyboard_combobox(live_server, corpus):
    """ARIA combobox: arrows move an announced active option, Enter opens it, Escape closes the list."""
    from playwright.sync_api import expect

    def scenario(page) -> None:
        page.goto("/questions/")
        box = page.get_by_role("combobox", name="Search")
        expect(box).to_have_attribute("aria-expanded", "false")
        box.press_sequentially("my beacon keeps disconnecting", delay=15)
        options = page.locator("#site-suggest [role=option]")
        expect(options.first).to_contain_text("Beacon satellite keeps dropping off the mesh")
        expect(box).to_have_attribute("aria-expanded", "true")

        box.press("ArrowDown")
        first_id = options.first.get_attribute("id")
        expect(box).to_have_attribute("aria-activedescendant", first_id)
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(box).to_be_focused()
        # Up from the first wraps to the last ("See all results"); down again comes back.
        box.press("ArrowUp")
        expect(box).to_have_attribute("aria-activedescendant", options.last.get_attribute("id"))
        box.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", first_id)

        box.press("Escape")
        expect(page.locator("#site-suggest [role=listbox]")).to_be_hidden()
        expect(box).to_have_attribute("aria-expanded", "false")
        expect(box).not_to_have_attribute("aria-activedescendant", first_id)

        # Typing again reopens it; Tab from the box reaches the first suggestion; Enter opens the active one.
        box.press_sequentially(" at night", delay=15)
        expect(page.locator("#site-suggest [role=listbox]")).to_be_visible()
        box.press("Tab")
        expect(page.locator("#site-suggest [role=option] a").first).to_be_focused()
        box.focus()
        box.press("ArrowDown")
        box.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Beacon satellite keeps dropping off the mesh")

    in_browser(live_server.url, scenario)


def test_results_page_query_box_is_full_size(live_server, corpus):
    def scenario(page) -> None:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/search/?q=beacon")
        box = page.locator("#search-q").bounding_box()
        main = page.locator("main").bounding_box()
        assert box["width"] >= 0.75 * (main["width"] - 32), (box, main)
        assert box["height"] >= 40

    in_browser(live_server.url, scenario)


def test_a_nonsense_query_shows_no_good_match_and_leads_to_help(live_server, corpus):
    from playwright.sync_api import expect

    def scenario(page) -> None:
        page.goto("/questions/")
        box = page.get_by_role("combobox", name="Search")
        box.press_sequentially("zzqxv flurble", delay=15)
        dropdown = page.locator("#site-suggest .suggest-none")
        expect(dropdown).to_contain_text("No good match for “zzqxv flurble” yet.")
        expect(dropdown.get_by_role("link", name="Ask the community")).to_be_visible()
        expect(page.locator("#site-suggest li.suggestion")).to_have_count(0)

        box.press("Enter")
        page.wait_for_url("**/search/?q=*")
        state = page.locator("section.no-good-match")
        expect(state.locator("#no-good-match-h")).to_have_text("No good match for “zzqxv flurble”")
        expect(state.get_by_role("heading", name="Still need help?")).to_be_visible()
        # The closest results are still there, each saying it is unlikely to help.
        first = page.locator("li.search-result").first
        expect(first.locator(".relevance")).to_have_text("Unlikely to help")
        expect(state.get_by_role("link", name="Ask the community")).to_have_attribute(
            "href", "/questions/ask/?title=zzqxv%20flurble")
        expect(state.get_by_role("link", name="Contact support")).to_be_visible()

    in_browser(live_server.url, scenario)
