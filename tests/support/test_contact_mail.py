"""Agents' replies reach the customer by e-mail (a real SMTP server on loopback), never before the
customer confirmed the address, and carry the contact's signed reply address."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser

from mail.models import EmailAddress
from mail.services import address_confirm, address_suppress
from support import services
from support.models import Contact, ContactMessage

pytestmark = pytest.mark.django_db

RILEY = "riley@example.com"


def web_form_contact(**overrides) -> Contact:
    arguments = dict(channel=Contact.Channel.WEB_FORM, customer_email=RILEY, customer_name="Riley",
                     subject="Beacon keeps dropping off the mesh", body="Every evening the ring turns amber.",
                     opened_by=AnonymousUser())
    return services.contact_create(**{**arguments, **overrides})


def reply(contact: Contact, agent, body: str) -> ContactMessage:
    return services.message_append(contact=contact, sender=ContactMessage.Sender.AGENT, author=agent, body=body)


def test_a_new_contact_gets_a_plain_confirmation_and_replies_wait_for_it(
        smtp_server, agent, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = web_form_contact()
        held = reply(contact, agent, "Move the Beacon halfway to the H1 & update both.")
    [confirmation] = smtp_server.messages  # the reply waits: the address is not confirmed
    text = confirmation.get_body(("plain",)).get_content()
    assert confirmation["To"] == RILEY and confirmation["Subject"] == "Please confirm your e-mail address"
    assert text.startswith("This is a confirmation e-mail") and f"(request #{contact.pk})" in text
    assert confirmation["List-Unsubscribe"] is None
    held.refresh_from_db()
    assert held.outgoing_mail is None

    agent_client = client
    agent_client.force_login(agent)
    page = agent_client.get(f"/console/contacts/{contact.pk}/").content.decode()
    assert f"Not e-mailed yet: waiting for the customer to confirm {RILEY}" in page

    link = next(line for line in text.splitlines() if "/mail/confirm/" in line).strip()
    with django_capture_on_commit_callbacks(execute=True):
        assert agent_client.post(urlsplit(link).path).status_code == 200
    _, mail = smtp_server.messages
    assert mail["Subject"] == f"Re: [#{contact.pk}] Beacon keeps dropping off the mesh"
    assert mail["Reply-To"] == services.contact_reply_address(contact)
    assert mail["Reply-To"].startswith(f"reply+{contact.pk}-") and mail["Reply-To"].endswith("@reply.localhost")
    assert "Move the Beacon halfway to the H1 & update both." in mail.get_body(("plain",)).get_content()
    assert "Move the Beacon halfway to the H1 &amp; update both." in mail.get_body(("html",)).get_content()
    assert mail["References"].startswith(f"<contact-{contact.pk}@reply.localhost>")
    assert mail["List-Unsubscribe"] is None  # the customer asked for this one
    assert "E-mailed to riley@example.com." in agent_client.get(f"/console/contacts/{contact.pk}/").content.decode()


def test_once_confirmed_replies_go_at_once(smtp_server, agent, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        contact = web_form_contact()
        reply(contact, agent, "Did the move help?")
    [mail] = smtp_server.messages  # no confirmation: the address already is
    assert "Did the move help?" in mail.get_body(("plain",)).get_content()


def test_chat_and_phone_contacts_are_not_answered_by_mail(smtp_server, agent, django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(channel=Contact.Channel.CHAT, customer_email=RILEY, subject="Chat",
                                          body="Hi", opened_by=agent)
        message = reply(contact, agent, "Hello from chat")
    assert smtp_server.messages == [] and message.outgoing_mail is None


def test_a_bounced_address_gets_no_reply_and_the_agent_is_told(smtp_server, agent, client,
                                                               django_capture_on_commit_callbacks):
    address_confirm(address=RILEY)
    address_suppress(address=RILEY, reason=EmailAddress.Suppression.BOUNCE, detail="5.1.1 user unknown")
    with django_capture_on_commit_callbacks(execute=True):
        contact = web_form_contact()
        reply(contact, agent, "Are you there?")
    assert smtp_server.messages == []
    client.force_login(agent)
    assert "Not e-mailed: the address is suppressed (bounced)." in client.get(
        f"/console/contacts/{contact.pk}/").content.decode()


def test_the_contact_page_says_what_to_expect_by_email(client, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/help/contact/", {"email": RILEY, "name": "Riley",
                                                  "subject": "Beacon amber", "message": "The ring is amber."},
                               follow=True)
    page = response.content.decode()
    assert "by e-mail" in page and "We have sent a confirmation e-mail there" in page
    assert [m["To"] for m in smtp_server.messages] == [RILEY]


def test_the_api_says_whether_a_reply_was_mailed(api_for, agent, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = web_form_contact()
    api = api_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        held = api.post(f"/api/contacts/{contact.pk}/messages/", {"sender": "agent", "body": "First"}, format="json")
        address_confirm(address=RILEY)
    assert held.status_code == 201
    messages = api.get(f"/api/contacts/{contact.pk}/").json()["messages"]
    assert [(m["sender"], m["mail_status"]) for m in messages] == [("customer", None), ("agent", "sent")]
    assert [m["To"] for m in smtp_server.messages] == [RILEY, RILEY]  # the confirmation, then the held reply
