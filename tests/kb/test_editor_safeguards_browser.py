"""Unsaved edits in a real browser: status buttons save the typed text, leaving warns."""
from __future__ import annotations

import pytest

from kb.models import Article
from tests.kb.editorial import make_article

pytestmark = pytest.mark.browser


def _sign_in(page, path: str) -> None:
    page.goto(f"/accounts/login/?next={path}")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill("correct horse battery 9")
    page.get_by_role("button", name="Log in").click()


def test_request_review_keeps_what_was_typed(db, editor, browser_page):
    from playwright.sync_api import expect

    article = make_article()
    page = browser_page
    _sign_in(page, f"/kb/articles/{article.pk}/edit/")
    solution = page.get_by_label("Solution", exact=True)
    solution.fill("")
    solution.press_sequentially("Hold the reset button for ten seconds.")
    page.get_by_role("button", name="Request review").click()
    expect(page.locator("#article-status")).to_have_text("In review")
    expect(page.get_by_label("Solution", exact=True)).to_have_value("Hold the reset button for ten seconds.")
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assert article.solution == "Hold the reset button for ten seconds."


def test_leaving_with_unsaved_edits_warns(db, editor, browser_page):
    from playwright.sync_api import expect

    article = make_article()
    page = browser_page
    _sign_in(page, f"/kb/articles/{article.pk}/edit/")
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    # Nothing typed yet: leaving is silent.
    page.get_by_role("link", name="All versions with changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Versions of")
    assert dialogs == []

    page.go_back()
    page.on("dialog", stay)
    page.get_by_label("Solution", exact=True).press_sequentially(" Then wait a minute.")
    page.get_by_role("link", name="All versions with changes").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert "Then wait a minute." in page.get_by_label("Solution", exact=True).input_value(), "the text is still there"

    # Saving is not leaving with unsaved edits.
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    assert dialogs == ["beforeunload"]
