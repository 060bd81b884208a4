"""In a real browser: a member follows a question and sees the unread count rise when it is answered;
a visitor joins the community from "Ask the community" and finds the question they typed waiting."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery 9"


def sign_in(page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_following_a_question_and_seeing_the_unread_count_rise(new_browser_page, question, bob, make_user):
    from playwright.sync_api import expect

    make_user("carol")
    path = question.get_absolute_url()
    follower = new_browser_page()
    sign_in(follower, "carol", path)
    expect(follower.get_by_role("heading", level=1)).to_have_text(question.title)
    follower.get_by_role("button", name="Follow this question").click()
    expect(follower.get_by_role("button", name="Following this question · Unfollow")).to_be_visible()
    expect(follower.locator(".unread-count")).to_have_count(0)

    answerer = new_browser_page()
    sign_in(answerer, "bob", path)
    answerer.get_by_role("textbox", name="Your answer").fill("Give that Beacon a fixed 5 GHz backhaul channel.")
    answerer.get_by_role("button", name="Post your answer").click()
    expect(answerer.locator("#answers")).to_have_text("1 answer")

    follower.reload()
    expect(follower.locator(".unread-count")).to_have_text("1")
    follower.get_by_role("link", name="Notifications").click()
    news = follower.get_by_role("link", name=f"bob answered “{question.title}”")
    expect(news).to_be_visible()
    news.click()
    expect(follower).to_have_url(re.compile(rf"{re.escape(path)}#post-\d+$"))
    expect(follower.get_by_text("Give that Beacon a fixed 5 GHz backhaul channel.")).to_be_visible()
    expect(follower.locator(".unread-count")).to_have_count(0)


def test_a_visitor_joins_from_ask_the_community_and_finds_the_question_typed(new_browser_page, tags):
    from playwright.sync_api import expect

    title = "Beacon ring stays amber after the update"
    visitor = new_browser_page()
    visitor.goto(f"/questions/ask/?title={quote(title)}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Join the community to ask")
    expect(visitor.get_by_text(f"Your question: “{title}”")).to_be_visible()
    visitor.get_by_label("Username").fill("riley")
    visitor.get_by_label("Email").fill("riley@example.com")
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_label("Display name").fill("Riley")
    visitor.get_by_label("I accept the community rules").check()
    visitor.get_by_role("button", name="Create account, join and ask").click()
    expect(visitor.get_by_text("Welcome to the community, Riley! Ask away.")).to_be_visible()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Ask the community")
    expect(visitor.get_by_label("Title")).to_have_value(title)


def test_a_customer_account_joins_in_one_step(new_browser_page, make_user):
    from playwright.sync_api import expect

    from community.roles import MEMBER, role_revoke

    casey = make_user("casey")
    role_revoke(user=casey, role=MEMBER)
    page = new_browser_page()
    sign_in(page, "casey", "/help/me/")
    page.get_by_role("link", name="Ask the community").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the community to ask")
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_label("Display name").fill("Casey R.")
    page.get_by_role("button", name="Join and ask").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # the rules, not accepted yet
    page.get_by_label("I accept the community rules").check()
    page.get_by_role("button", name="Join and ask").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the community")


def test_unsubscribing_from_a_notification_mail_and_undoing_it(new_browser_page, alice):
    """From the link in a mail, signed out: the page says what stops, stops it, and Undo puts it back."""
    from playwright.sync_api import expect

    from mail.tokens import unsubscribe_url
    from notifications.models import Preference
    from notifications.services import preference_set

    preference_set(user=alice, event="answer_new", email="instant")
    link = unsubscribe_url(address=alice.email, kind="notification.answer_new",
                           data={"u": alice.pk, "e": ["answer_new"]})
    page = new_browser_page()
    page.goto(link.removeprefix("http://localhost:8000"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop these e-mails?")
    expect(page.get_by_text("We will no longer send e-mails about “A new answer to a question you follow” "
                            "to alice@example.com.")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert Preference.objects.get(user=alice, event="answer_new").email == "off"
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed again")
    assert Preference.objects.get(user=alice, event="answer_new").email == "instant"
