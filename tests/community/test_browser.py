"""The whole community loop in a real browser: sign up, ask, answer, accept."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "mesh wifi at home 42"


def test_ask_answer_accept_in_the_browser(new_browser_page, question, bob):
    from playwright.sync_api import expect

    # A new member signs up.
    asker = new_browser_page()
    asker.goto("/accounts/signup/")
    asker.get_by_label("Username").fill("carol")
    asker.get_by_label("Email").fill("carol@example.com")
    asker.get_by_label("Password").fill(PASSWORD)
    asker.get_by_role("button", name="Create account").click()
    expect(asker.get_by_text("Welcome, carol!")).to_be_visible()

    # She starts typing a question and sees an existing, similar one appear.
    asker.goto("/questions/ask/")
    asker.get_by_label("Title").press_sequentially("Beacon keeps dropping every night", delay=20)
    expect(asker.locator("#similar")).to_contain_text(question.title)
    asker.get_by_label("Details").fill("Since the last firmware my second Beacon drops every night around 11 pm.")
    asker.get_by_label("Tags").fill("beacon firmware")
    asker.get_by_role("button", name="Post your question").click()
    expect(asker.get_by_role("heading", level=1)).to_have_text("Beacon keeps dropping every night")
    question_path = re.sub(r"^https?://[^/]+", "", asker.url)

    # A second member signs in and answers.
    answerer = new_browser_page()
    answerer.goto(f"/accounts/login/?next={question_path}")
    answerer.get_by_label("Username").fill("bob")
    answerer.get_by_label("Password").fill("correct horse battery 9")
    answerer.get_by_role("button", name="Log in").click()
    expect(answerer.get_by_role("heading", level=1)).to_have_text("Beacon keeps dropping every night")
    answer_box = answerer.get_by_role("textbox", name="Your answer")
    answer_box.fill("Give that Beacon a fixed 5 GHz backhaul channel in the app.")
    answerer.get_by_role("button", name="Post your answer").click()
    expect(answerer.locator("#answers")).to_have_text("1 answer")

    # The asker accepts it, and the page shows the accepted answer.
    asker.reload()
    asker.get_by_role("button", name="Accept this answer").click()
    expect(asker.get_by_text("Answer accepted. Thanks for closing the loop!")).to_be_visible()
    accepted = asker.locator("article.accepted")
    expect(accepted).to_contain_text("Accepted answer")
    expect(accepted).to_contain_text("fixed 5 GHz backhaul channel")
    expect(asker.get_by_role("button", name="Accept this answer")).to_have_count(0)
