"""Under the Content-Security-Policy the pages still work in Chromium, and the browser reports no
violation: the source filter submits itself, header suggestions and votes go through htmx, the
API docs load their script from a URL, the agent console loads its script."""
from __future__ import annotations

import pytest

from community.models import Source, Thread
from support.services import contact_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, found: list[str]) -> None:
    """Collect every console message Chromium logs about the Content-Security-Policy on ``page``."""
    page.on("console", lambda msg: found.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)


@pytest.fixture
def violations(browser_page):
    found: list[str] = []
    watch(browser_page, found)
    return found


def sign_in(page, username: str, password: str = "correct horse battery 9") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_pages_work_under_the_policy_without_violations(browser_page, new_browser_page, violations, question, bob,
                                                        agent):
    from playwright.sync_api import expect

    page = browser_page
    forum = Source.objects.create(name="Owners forum", slug="owners-forum", kind=Source.Kind.HTML)
    Thread.objects.create(source=forum, external_id="1", title="Port forwarding on the H2 Pro", author_name="x",
                          url="https://forum.example.invalid/t/1")

    # The source filter submits its form on change (static/js/gleaner.js, no onchange=).
    page.goto("/questions/")
    page.get_by_label("Threads from").select_option("owners-forum")
    page.wait_for_url("**source=owners-forum**")
    expect(page.get_by_role("link", name="Port forwarding on the H2 Pro")).to_be_visible()

    # Header suggestions arrive through htmx and are styled by the stylesheet (no style=).
    page.get_by_role("combobox", name="Search").press_sequentially("Beacon dropping", delay=20)
    suggestions = page.locator("#site-suggest > *")
    expect(suggestions).to_have_count(1)
    assert suggestions.evaluate("node => getComputedStyle(node).position") == "absolute"

    # A vote goes through htmx with the CSRF header from hx-headers.
    sign_in(page, "bob")
    page.goto(question.get_absolute_url())
    question_vote = page.locator(f"#vote-{question.posts.get(is_question=True).pk}")
    question_vote.get_by_role("button", name="Vote up").click()
    expect(question_vote.locator(".score")).to_have_text("1")

    # The API docs run Swagger UI from script URLs.
    page.goto("/api/docs/")
    expect(page.get_by_text("Gleaner API").first).to_be_visible()

    # The agent console loads its own script.
    contact = contact_create(channel="email", customer_email="casey@example.com", customer_name="Casey",
                             subject="Beacon blinks amber", body="The ring is amber since Tuesday.")
    console = new_browser_page()
    watch(console, violations)
    sign_in(console, "agatha")
    console.goto(f"/console/contacts/{contact.pk}/")
    expect(console.get_by_role("heading", name="Beacon blinks amber")).to_be_visible()

    assert violations == []


def test_an_inline_script_would_be_refused(browser_page, violations, live_server):
    """The header is really enforced: a page that slipped an inline script in would not run it."""
    page = browser_page
    page.goto("/")
    ran = page.evaluate("""() => new Promise(resolve => {
        window.__ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
        setTimeout(() => resolve(window.__ran), 100);
    })""")
    assert ran is False
    assert any("script-src" in v for v in violations)
