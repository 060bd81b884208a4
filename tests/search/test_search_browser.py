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
        box = page.get_by_role("searchbox", name="Search")
        box.press_sequentially("my beacon keeps disconnecting", delay=15)
        suggestions = page.locator("#site-suggest li.suggestion")
        expect(suggestions.first).to_contain_text("Beacon satellite keeps dropping off the mesh")
        # Suggestions are links: following one opens the question.
        suggestions.first.locator("a").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Beacon satellite keeps dropping off the mesh")

        # Enter in the header box opens the full results page.
        page.get_by_role("searchbox", name="Search").fill("open a port for my console")
        page.get_by_role("searchbox", name="Search").press("Enter")
        page.wait_for_url("**/search/?q=*")
        first = page.locator("li.search-result").first
        expect(first).to_contain_text("Open a port for a game console (port forwarding)")
        expect(first.locator("mark").first).to_be_visible()

    in_browser(live_server.url, scenario)
