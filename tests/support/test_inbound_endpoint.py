"""``POST /api/inbound/email/``: the mail gateway posts raw MIME with the shared secret; replies
become contact messages agents see, bounces and complaints stop mail, the rest is refused."""
from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import AnonymousUser

from mail.models import EmailAddress, OutgoingMessage
from mail.selectors import can_mail
from mail.services import address_confirm, message_send
from support import services
from support.models import Contact, ContactAttachment, ContactMessage
from tests.support.inbound import fixture_mail

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-inbound-gateway-0123456789"
URL = "/api/inbound/email/"


@pytest.fixture(autouse=True)
def inbound_secret(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET


@pytest.fixture
def contact(db):
    return services.contact_create(channel=Contact.Channel.WEB_FORM, customer_email="riley@example.com",
                                   customer_name="Riley Park", subject="Beacon keeps dropping off the mesh",
                                   body="Every evening the ring turns amber.", opened_by=AnonymousUser())


def post(client, raw: bytes, secret: str | None = SECRET):
    headers = {"HTTP_X_INBOUND_SECRET": secret} if secret is not None else {}
    return client.generic("POST", URL, raw, content_type="message/rfc822", **headers)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-of-the-same-size-0123456789", SECRET + "x"])
def test_without_the_right_secret_nothing_is_stored(client, contact, secret, caplog):
    with caplog.at_level(logging.WARNING):
        response = post(client, fixture_mail("plain_reply.eml", contact), secret=secret)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert contact.messages.count() == 1
    assert "wrong or missing X-Inbound-Secret" in caplog.text


def test_with_no_secret_configured_inbound_mail_is_off(client, contact, settings):
    settings.INBOUND_EMAIL_SECRET = ""
    response = post(client, fixture_mail("plain_reply.eml", contact), secret="")
    assert response.status_code == 403 and response.json()["code"] == "inbound_disabled"
    assert contact.messages.count() == 1


def test_only_post(client):
    assert client.get(URL, HTTP_X_INBOUND_SECRET=SECRET).status_code == 405


def test_a_reply_becomes_a_customer_message_the_agent_sees(client, contact, agent):
    services.contact_set_status(contact=contact, status=Contact.Status.PENDING)
    response = post(client, fixture_mail("gmail_quoted.eml", contact))
    assert response.status_code == 201
    message = ContactMessage.objects.get(pk=response.json()["message"])
    assert response.json()["contact"] == contact.pk and message.contact == contact
    assert message.sender == ContactMessage.Sender.CUSTOMER and message.email_from == "riley@example.com"
    assert message.body == "It dropped again at 9pm, ring went amber. I'm on firmware 4.2.1 now."
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPEN  # the customer wrote: back in the agents' queue
    client.force_login(agent)
    page = client.get(f"/console/contacts/{contact.pk}/").content.decode()
    assert "I&#x27;m on firmware 4.2.1 now." in page and "by e-mail from riley@example.com" in page
    assert "wrote:" not in page  # the quoted history stayed out


def test_the_same_mail_posted_twice_is_stored_once(client, contact):
    raw = fixture_mail("plain_reply.eml", contact)
    assert post(client, raw).status_code == 201
    again = post(client, raw)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    assert contact.messages.count() == 2


def test_attachments_are_kept_and_agents_download_them(client, contact, agent, settings):
    settings.INBOUND_MAX_ATTACHMENT_BYTES = 80  # the PNG fits, the log does not
    response = post(client, fixture_mail("with_attachment.eml", contact))
    assert response.status_code == 201 and response.json()["refused_attachments"] == ["mesh.log"]
    message = ContactMessage.objects.get(pk=response.json()["message"])
    assert "[Attachment not kept: mesh.log (97 bytes), larger than 80 bytes]" in message.body
    [png] = ContactAttachment.objects.filter(message=message)
    client.force_login(agent)
    assert f"/console/contacts/{contact.pk}/attachments/{png.pk}/" in client.get(
        f"/console/contacts/{contact.pk}/").content.decode()
    download = client.get(f"/console/contacts/{contact.pk}/attachments/{png.pk}/")
    assert download["Content-Disposition"] == 'attachment; filename="ring.png"'
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_a_forged_reply_address_is_refused_logged_and_stores_nothing(client, contact, caplog):
    with caplog.at_level(logging.WARNING):
        response = post(client, fixture_mail("forged_reply.eml"))
    assert response.status_code == 400 and response.json()["code"] == "forged_reply_address"
    assert "inbound mail refused (forged_reply_address)" in caplog.text
    assert ContactMessage.objects.count() == 1


def test_a_reply_to_a_contact_that_no_longer_exists_is_refused(client, contact):
    raw = fixture_mail("plain_reply.eml", contact)
    Contact.objects.filter(pk=contact.pk).delete()
    response = post(client, raw)
    assert response.status_code == 400 and response.json()["code"] == "unknown_contact"
    assert not ContactMessage.objects.exists()


def test_an_oversized_mail_is_refused_unread(client, contact, settings):
    settings.INBOUND_MAX_BYTES = 20_000
    raw = fixture_mail("plain_reply.eml", contact) + b"x" * 20_000
    response = post(client, raw)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert contact.messages.count() == 1


def test_a_reply_on_a_closed_contact_opens_a_new_one(client, contact):
    services.contact_set_status(contact=contact, status=Contact.Status.CLOSED)
    response = post(client, fixture_mail("plain_reply.eml", contact))
    assert response.status_code == 201
    new = Contact.objects.get(pk=response.json()["contact"])
    assert new.pk != contact.pk and new.channel == Contact.Channel.EMAIL
    assert (new.customer_email, new.subject) == (contact.customer_email, contact.subject)
    assert new.messages.get().body.startswith("Thanks! I moved the Beacon")


def _mailed(address: str) -> OutgoingMessage:
    address_confirm(address=address)
    return message_send(to=address, subject="Hello", template="mail/email/confirm",
                        context={"address": address, "reason": "", "confirm_url": ""}, kind="test")


def test_a_bounce_for_a_mail_we_sent_suppresses_the_address(client):
    sent = _mailed("gone@example.org")
    response = post(client, fixture_mail("bounce_dsn.eml", original_message_id=sent.message_id))
    assert response.status_code == 200 and response.json() == {
        "result": "suppressed", "contact": None, "message": None, "addresses": ["gone@example.org"],
        "refused_attachments": []}
    row = EmailAddress.objects.get(address="gone@example.org")
    assert row.suppressed_reason == "bounce" and "5.1.1" in row.suppressed_detail
    assert not can_mail("gone@example.org")


def test_a_complaint_suppresses_the_address(client):
    sent = _mailed("annoyed@example.com")
    response = post(client, fixture_mail("complaint_arf.eml", original_message_id=sent.message_id))
    assert response.json()["result"] == "suppressed"
    assert EmailAddress.objects.get(address="annoyed@example.com").suppressed_reason == "complaint"


def test_a_bounce_about_an_address_we_never_mailed_changes_nothing(client, caplog):
    _mailed("someone-else@example.com")
    with caplog.at_level(logging.WARNING):
        response = post(client, fixture_mail("bounce_dsn.eml"))
    assert response.status_code == 200 and response.json()["result"] == "ignored"
    assert "an address we never mailed" in caplog.text
    assert not EmailAddress.objects.filter(address="gone@example.org").exists()
