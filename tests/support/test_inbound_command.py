"""``manage.py inbound_mail``: replies, bounces and refusals read from a maildir or an mbox."""
from __future__ import annotations

import mailbox
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from support import services
from support.models import Contact, ContactMessage
from tests.support.inbound import fixture_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(db):
    return services.contact_create(channel=Contact.Channel.WEB_FORM, customer_email="riley@example.com",
                                   subject="Beacon keeps dropping off the mesh", body="The ring turns amber.",
                                   opened_by=AnonymousUser())


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("inbound_mail", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def customer_bodies(contact) -> list[str]:
    return list(contact.messages.filter(sender=ContactMessage.Sender.CUSTOMER).values_list("body", flat=True))


def test_a_maildir_is_read_once_and_its_mails_marked_seen(tmp_path, contact):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for name in ("plain_reply.eml", "outlook_quoted.eml", "forged_reply.eml"):
        box.add(fixture_mail(name, contact))
    out, err = run("--maildir", str(tmp_path / "Maildir"))
    assert "Inbound mail: 2 message, 1 refused." in out
    assert "refused (forged_reply_address)" in err
    bodies = customer_bodies(contact)
    assert len(bodies) == 3 and bodies[1].startswith("Thanks! I moved the Beacon")
    assert bodies[2].startswith("Hello,\n\nThe router’s light is fine")
    assert all("S" in box.get_message(key).get_flags() for key in box.keys())  # nothing deleted, all seen
    assert len(box) == 3 and not list((tmp_path / "Maildir" / "new").iterdir())
    out, _ = run("--maildir", str(tmp_path / "Maildir"))
    assert "Inbound mail: 3 already seen." in out and len(customer_bodies(contact)) == 3


def test_an_mbox_can_be_read_again_without_doubling_messages(tmp_path, contact):
    box = mailbox.mbox(str(tmp_path / "replies.mbox"), create=True)
    for name in ("gmail_quoted.eml", "html_only.eml"):
        box.add(fixture_mail(name, contact))
    box.flush()
    out, _ = run("--mbox", str(tmp_path / "replies.mbox"))
    assert "Inbound mail: 2 message." in out and f"(contact #{contact.pk})" in out
    out, _ = run("--mbox", str(tmp_path / "replies.mbox"))
    assert "Inbound mail: 2 duplicate." in out
    assert len(customer_bodies(contact)) == 3


def test_a_path_that_is_not_a_mailbox_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is not a maildir"):
        run("--maildir", str(tmp_path))
    with pytest.raises(CommandError, match="is not an mbox file"):
        run("--mbox", str(tmp_path / "missing.mbox"))
    with pytest.raises(CommandError):
        run()
