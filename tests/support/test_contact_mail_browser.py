"""A whole conversation by e-mail, in a real browser with a real SMTP server on loopback: a customer
contacts support and confirms the address, the agent replies in the console, the reply arrives by
e-mail, the customer answers by e-mail through the gateway endpoint, and the agent sees it."""
from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery 9"
SECRET = "s3cret-for-the-inbound-gateway-0123456789"


def test_a_contact_answered_by_email_both_ways(live_server, smtp_server, agent, settings, new_browser_page,
                                              embedder):  # the console ranks suggestions: model loaded first
    from playwright.sync_api import expect

    settings.INBOUND_EMAIL_SECRET = SECRET

    # The customer writes in through the help center, without an account.
    customer = new_browser_page()
    customer.goto("/help/contact/")
    customer.get_by_label("Your name").fill("Riley Park")
    customer.get_by_label("E-mail address").fill("riley@example.com")
    customer.get_by_label("Subject").fill("Beacon keeps dropping off the mesh")
    customer.get_by_label("How can we help?").fill("Every evening the ring on my Beacon turns amber.")
    customer.get_by_role("button", name="Send to support").click()
    expect(customer.get_by_text("We have sent a confirmation e-mail there")).to_be_visible()

    # The first mail is the confirmation, and says so; its link confirms the address.
    [confirmation] = smtp_server.wait_for(1)
    text = confirmation.get_body(("plain",)).get_content()
    assert text.startswith("This is a confirmation e-mail")
    link = next(line.strip() for line in text.splitlines() if "/mail/confirm/" in line)
    customer.goto(urlsplit(link).path)
    customer.get_by_role("button", name="Confirm riley@example.com").click()
    expect(customer.get_by_text("riley@example.com is confirmed")).to_be_visible()

    # The agent replies in the console; the reply goes out by e-mail at once.
    console = new_browser_page()
    console.goto("/accounts/login/?next=/console/")
    console.get_by_label("Username").fill(agent.username)
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Log in").click()
    console.get_by_role("link", name="Beacon keeps dropping off the mesh").click()
    console.get_by_label("Reply to the customer").fill("Hi Riley, move the Beacon halfway to the H1 router.")
    console.get_by_role("button", name="Send reply").click()
    expect(console.get_by_text("Reply sent.")).to_be_visible()
    expect(console.locator("#conversation li.from-agent .console-mail-note")).to_have_text(
        "E-mailed to riley@example.com.")

    _, reply = smtp_server.wait_for(2)
    assert reply["To"] == "riley@example.com" and reply["Subject"].startswith("Re: [#")
    assert "move the Beacon halfway to the H1 router." in reply.get_body(("plain",)).get_content()
    reply_to = reply["Reply-To"]
    assert reply_to.startswith("reply+") and reply_to.endswith("@reply.localhost")

    # The customer answers from their mail client; the gateway posts it to the inbound endpoint.
    answer = EmailMessage()
    answer["From"] = "Riley Park <riley@example.com>"
    answer["To"] = reply_to
    answer["Subject"] = "Re: " + reply["Subject"]
    answer["Message-ID"] = "<riley-answer-1@mail.example.com>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer.set_content("That fixed it, the ring is white now. Thank you!\n\n"
                       f"On Sat, Dec 5, 2026 at 10:14 AM {reply['From']} wrote:\n"
                       "> Hi Riley, move the Beacon halfway to the H1 router.\n")
    posted = requests.post(f"{live_server.url}/api/inbound/email/", data=answer.as_bytes(), timeout=10,
                           headers={"X-Inbound-Secret": SECRET, "Content-Type": "message/rfc822"})
    assert posted.status_code == 201, posted.text

    # The agent sees it in the console, without the quoted history.
    console.reload()
    latest = console.locator("#conversation li.from-customer").last
    expect(latest).to_contain_text("That fixed it, the ring is white now. Thank you!")
    expect(latest).to_contain_text("by e-mail from riley@example.com")
    expect(latest).not_to_contain_text("wrote:")
