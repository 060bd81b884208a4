"""A fresh e-mail to the support address (not a reply to a contact) opens a new e-mail contact:
through the gateway endpoint and ``manage.py inbound_mail``, with the sender asked to confirm
their address before anything else is mailed, and machines' mail (auto-replies, lists,
mailer-daemons, our own) opening nothing."""
from __future__ import annotations

import mailbox
import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from mail.models import OutgoingMessage
from support import services
from support.models import Contact, ContactMessage
from tests.support.inbound import fixture_mail

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-inbound-gateway-0123456789"
URL = "/api/inbound/email/"
SAM = "sam.okafor@example.net"


@pytest.fixture(autouse=True)
def support_address(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.SUPPORT_EMAIL_ADDRESSES = ["help@hearthlink.example"]


def post(client, raw: bytes):
    return client.generic("POST", URL, raw, content_type="message/rfc822", HTTP_X_INBOUND_SECRET=SECRET)


def fresh(**headers) -> bytes:
    """``new_request.eml`` with headers replaced or added (``From``, ``Precedence``…)."""
    raw = fixture_mail("new_request.eml")
    head, _, body = raw.partition(b"\n\n")
    for name, value in headers.items():
        name = name.replace("_", "-")
        line = f"{name}: {value}".encode()
        pattern = re.compile(rb"^" + re.escape(name.encode()) + rb":.*$", re.M)
        head = pattern.sub(line, head) if pattern.search(head) else head + b"\n" + line
    return head + b"\n\n" + body


def test_a_fresh_mail_opens_an_email_contact_and_asks_only_for_confirmation(
        client, smtp_server, django_capture_on_commit_callbacks, agent):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fixture_mail("new_request.eml"))
    assert response.status_code == 201 and response.json()["result"] == "contact"
    contact = Contact.objects.get(pk=response.json()["contact"])
    assert contact.channel == Contact.Channel.EMAIL and contact.customer_email == SAM
    assert contact.customer_name == "Sam Okafor" and contact.subject == "Hub will not pair with the new door sensor"
    assert contact.customer is None and contact.status == Contact.Status.OPEN
    [message] = contact.messages.all()
    assert message.sender == ContactMessage.Sender.CUSTOMER and message.email_from == SAM
    assert message.body.startswith("Hello,\n\nI bought a second door sensor") and "Sam Okafor" not in message.body
    assert [a.filename for a in message.attachments.all()] == ["pairing.png"]

    [confirmation] = smtp_server.messages  # the acknowledgement is the plain confirmation, nothing else
    assert confirmation["To"] == SAM and confirmation["Subject"] == "Please confirm your e-mail address"
    text = confirmation.get_body(("plain",)).get_content()
    assert "This is a confirmation e-mail" in text
    assert "Hub will not pair with the new door sensor" in text

    client.force_login(agent)
    queue = client.get("/console/").content.decode()
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*contacts/{contact.pk}/(?:(?!</tr>).)*</tr>', queue, re.S).group(0)
    assert "Hub will not pair with the new door sensor" in row and ">E-mail<" in row
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/console/contacts/{contact.pk}/reply/", {"body": "Hold the pair button for ten seconds."})
    assert len(smtp_server.messages) == 1  # the agent's reply waits for the confirmation
    link = urlsplit(re.search(r"http://\S+/mail/confirm/\S+/", text).group(0)).path
    with django_capture_on_commit_callbacks(execute=True):
        client.logout()
        client.post(link)
    reply = smtp_server.wait_for(2)[1]
    assert reply["To"] == SAM and "Hold the pair button" in reply.get_body(("plain",)).get_content()
    assert reply["Reply-To"].startswith("reply+")


def test_the_same_mail_posted_twice_opens_one_contact(client, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, fixture_mail("new_request.eml"))
        again = post(client, fixture_mail("new_request.eml"))
    assert first.status_code == 201 and again.status_code == 200 and again.json()["result"] == "duplicate"
    assert again.json()["contact"] == first.json()["contact"] and Contact.objects.count() == 1
    assert len(smtp_server.messages) == 1


def test_a_sender_claiming_a_members_address_does_not_reach_their_account(client, alice, smtp_server,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fresh(From=f"Alice <{alice.email}>", Message_ID="<spoof-1@example.org>"))
    contact = Contact.objects.get(pk=response.json()["contact"])
    assert contact.customer_email == alice.email and contact.customer is None
    client.force_login(alice)
    mine = client.get("/help/me/")
    assert mine.status_code == 200 and "Hub will not pair" not in mine.content.decode()
    assert client.get(f"/help/me/contacts/{contact.pk}/").status_code == 404


@pytest.mark.parametrize("headers, why", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"From": "Mail Delivery System <MAILER-DAEMON@mx.example.net>"}, "sent by mailer-daemon"),
    ({"Return-Path": "<>"}, "null Return-Path"),
    ({"From": "Hearthlink Help <help@localhost>"}, "our own address"),
    ({"From": "help@hearthlink.example"}, "our own address"),
    ({"From": "reply+7-abc@reply.localhost"}, "our own address"),
])
def test_mail_a_machine_sent_opens_nothing_and_gets_no_answer(client, smtp_server, django_capture_on_commit_callbacks,
                                                               settings, headers, why):
    settings.DEFAULT_FROM_EMAIL = settings.SERVER_EMAIL = "Hearthlink Help <help@localhost>"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fresh(**headers))
    assert response.status_code == 200 and response.json()["result"] == "ignored"
    assert why in response.json()["detail"]
    assert not Contact.objects.exists() and smtp_server.messages == []


def test_auto_submitted_no_is_a_person(client, smtp_server):
    assert post(client, fresh(Auto_Submitted="no")).json()["result"] == "contact"


def test_limits_apply_as_for_replies(client, settings, smtp_server):
    settings.INBOUND_MAX_ATTACHMENT_BYTES = 10
    response = post(client, fixture_mail("new_request.eml"))
    assert response.status_code == 201 and response.json()["refused_attachments"] == ["pairing.png"]
    message = ContactMessage.objects.get(pk=response.json()["message"])
    assert not message.attachments.exists() and "[Attachment not kept: pairing.png" in message.body
    settings.INBOUND_MAX_BYTES = 10_000
    big = fresh(Message_ID="<big-1@example.net>").replace(b"Thanks,\nSam", b"x" * 12_000)
    assert post(client, big).status_code == 413
    assert Contact.objects.count() == 1


def test_without_a_support_address_fresh_mail_is_refused_as_before(client, settings):
    settings.SUPPORT_EMAIL_ADDRESSES = []
    response = post(client, fixture_mail("new_request.eml"))
    assert response.status_code == 400 and response.json()["code"] == "unknown_recipient"
    assert not Contact.objects.exists()


def test_the_command_opens_contacts_from_a_maildir_and_skips_auto_replies(tmp_path, smtp_server,
                                                                          django_capture_on_commit_callbacks):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for name in ("new_request.eml", "out_of_office.eml"):
        box.add(fixture_mail(name))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("inbound_mail", "--maildir", str(tmp_path / "Maildir"), stdout=out, stderr=StringIO())
    assert "Inbound mail: 1 contact, 1 ignored." in out.getvalue()
    contact = Contact.objects.get()
    assert contact.channel == Contact.Channel.EMAIL and contact.customer_email == SAM
    assert f"contact (contact #{contact.pk})" in out.getvalue()
    assert [m["Subject"] for m in smtp_server.messages] == ["Please confirm your e-mail address"]
    assert OutgoingMessage.objects.get().kind == "confirmation"


def test_a_flood_from_one_address_joins_its_latest_request_instead_of_filling_the_queue(client, settings,
                                                                                      smtp_server):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "contact": "2/hour"}}
    answers = [post(client, fresh(Message_ID=f"<flood-{n}@example.net>", Subject=f"Still broken {n}")).json()
               for n in range(4)]
    assert [a["result"] for a in answers] == ["contact", "contact", "message", "message"]
    assert Contact.objects.count() == 2
    latest = Contact.objects.get(pk=answers[1]["contact"])
    assert answers[2]["contact"] == answers[3]["contact"] == latest.pk
    bodies = list(latest.messages.values_list("body", flat=True))
    assert len(bodies) == 3 and bodies[2].startswith("[New e-mail: Still broken 3]\n\nHello,")
    assert len(smtp_server.messages) <= 1  # one confirmation at most, however many mails


def test_answering_the_confirmation_mail_joins_the_request_it_was_about(client, smtp_server,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        opened = post(client, fixture_mail("new_request.eml")).json()
    [confirmation] = smtp_server.messages
    answer = fresh(Message_ID="<answer-1@example.net>", Subject="Re: Please confirm your e-mail address",
                   In_Reply_To=confirmation["Message-ID"])
    response = post(client, answer)
    assert response.status_code == 201 and response.json()["result"] == "message"
    assert response.json()["contact"] == opened["contact"] and Contact.objects.count() == 1
    assert Contact.objects.get().messages.count() == 2


def test_a_sender_address_longer_than_an_address_holds_is_refused_not_stored(client):
    long_sender = "x" * 250 + "@example.net"
    response = post(client, fresh(From=f"Sam <{long_sender}>", Message_ID="<long-1@example.net>"))
    assert response.status_code == 400 and response.json()["code"] == "no_sender"
    assert not Contact.objects.exists()


def test_a_long_mail_joining_the_latest_request_loses_none_of_its_text(client, settings, smtp_server):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "contact": "1/hour"}}
    assert post(client, fresh(Message_ID="<first-1@example.net>")).json()["result"] == "contact"
    long_mail = fresh(Message_ID="<long-2@example.net>", Subject="s" * 400).replace(
        b"Thanks,\nSam", b"word " * 3_900 + b"the-very-end")
    answer = post(client, long_mail).json()
    assert answer["result"] == "message"
    message = ContactMessage.objects.get(pk=answer["message"])
    assert message.body.startswith("[New e-mail: sss") and len(message.body) <= 20_000
    whole = message.attachments.get(filename="message.txt")
    assert whole.file.read().decode().rstrip().endswith("the-very-end")


def test_an_answer_posted_twice_to_a_web_form_request_is_stored_once(client, smtp_server,
                                                                    django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(channel=Contact.Channel.WEB_FORM, customer_email=SAM, customer_name="Sam",
                                          subject="Pairing", body="It will not pair.", opened_by=AnonymousUser())
    [confirmation] = smtp_server.messages
    answer = fresh(Message_ID="<web-answer-1@example.net>", Subject="Re: Please confirm your e-mail address",
                   In_Reply_To=confirmation["Message-ID"])
    first, again = post(client, answer).json(), post(client, answer).json()
    assert first["result"] == "message" and first["contact"] == contact.pk
    assert again["result"] == "duplicate" and again["contact"] == contact.pk
    assert contact.messages.count() == 2 and Contact.objects.count() == 1
