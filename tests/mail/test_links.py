"""The signed links in mails: one-click unsubscribe (RFC 8058) and address confirmation, with no login."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from mail.models import EmailAddress, Unsubscription
from mail.selectors import can_mail, is_confirmed
from mail.services import address_confirm, address_unsubscribe
from mail.signals import address_confirmed
from mail.tokens import confirm_url, unsubscribe_url

pytestmark = pytest.mark.django_db

RILEY = "riley@example.com"


def path(url: str) -> str:
    return urlsplit(url).path


def test_rfc_8058_one_click_post_unsubscribes_without_login_or_csrf_token():
    address_confirm(address=RILEY)
    link = unsubscribe_url(address=RILEY, kind="notification.answer")
    mail_client = Client(enforce_csrf_checks=True)  # a mail provider posting for the user: no cookie, no token
    response = mail_client.post(path(link), "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert not can_mail(RILEY, kind="notification.answer") and can_mail(RILEY, kind="contact_reply")
    assert mail_client.post(path(link), "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded").status_code == 200  # idempotent
    assert Unsubscription.objects.count() == 1


def test_opening_the_unsubscribe_link_only_asks(client):
    """Link scanners and previews fetch links: a GET must not unsubscribe anyone."""
    address_confirm(address=RILEY)
    response = client.get(path(unsubscribe_url(address=RILEY, kind="digest")))
    assert response.status_code == 200 and b"Stop these e-mails?" in response.content
    assert b"riley@example.com" in response.content and b'method="post"' in response.content
    assert "We will no longer send “digest” e-mails" in response.content.decode()  # a kind nobody named
    assert can_mail(RILEY, kind="digest")
    named = client.get(path(unsubscribe_url(address=RILEY, kind="contact_reply"))).content.decode()
    assert "We will no longer send replies to your support requests to" in named


def test_a_forged_or_altered_link_is_refused_and_changes_nothing(client):
    link = path(unsubscribe_url(address=RILEY, kind="digest"))
    forged = link.replace("/unsubscribe/", "/unsubscribe/x")
    response = client.post(forged)
    assert response.status_code == 400 and b"This link does not work" in response.content
    assert not Unsubscription.objects.exists()
    other = path(confirm_url(address=RILEY)).replace("/confirm/", "/unsubscribe/")  # a token for another purpose
    assert client.post(other).status_code == 400


def test_confirming_an_address_asks_then_confirms_and_tells_other_apps(client, django_capture_on_commit_callbacks):
    heard = []
    receiver = lambda sender, address, **kwargs: heard.append(address)  # noqa: E731
    address_confirmed.connect(receiver)
    try:
        link = path(confirm_url(address="Riley@Example.com"))
        assert b"Confirm riley@example.com" in client.get(link).content and not is_confirmed(RILEY)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(link)
            client.post(link)
    finally:
        address_confirmed.disconnect(receiver)
    assert response.status_code == 200 and b"is confirmed" in response.content
    assert is_confirmed(RILEY) and heard == [RILEY]  # once, however often the link is followed
    assert client.get(link).status_code == 200 and b"is confirmed" in client.get(link).content


def test_an_expired_confirmation_link_is_refused(client, settings):
    link = path(confirm_url(address=RILEY))
    settings.MAIL_CONFIRM_DAYS = 0  # every link is now older than its validity
    assert client.post(link).status_code == 400
    assert not EmailAddress.objects.filter(confirmed_at__isnull=False).exists()


def undo_form(html: str) -> tuple[str, dict]:
    """The unsubscribed page's Undo form: its action and fields (CSRF token included)."""
    form = re.search(r'<form method="post" action="([^"]+/undo/)">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    return form.group(1), fields


def test_the_unsubscribed_page_says_what_stopped_and_undo_puts_it_back(client):
    address_confirm(address=RILEY)
    browser = Client(enforce_csrf_checks=True)
    link = path(unsubscribe_url(address=RILEY, kind="contact_reply"))
    done = browser.post(link).content.decode()
    assert "We will no longer send replies to your support requests to <strong>riley@example.com</strong>" in done
    assert not can_mail(RILEY, kind="contact_reply")
    action, fields = undo_form(done)
    assert browser.post(action, {"undo": fields["undo"]}).status_code == 403  # a page form: CSRF applies
    again = browser.post(action, fields)
    assert again.status_code == 200 and "You are subscribed again" in again.content.decode()
    assert "We will send replies to your support requests to <strong>riley@example.com</strong> again" in (
        again.content.decode())
    assert can_mail(RILEY, kind="contact_reply") and not Unsubscription.objects.exists()


def test_undo_restores_only_what_the_click_changed(client):
    address_confirm(address=RILEY)
    address_unsubscribe(address=RILEY, kind="digest")  # stopped long before, from another mail
    link = path(unsubscribe_url(address=RILEY, kind="digest"))
    action, fields = undo_form(client.post(link).content.decode())
    client.post(action, fields)
    assert not can_mail(RILEY, kind="digest")


def test_a_forged_undo_or_one_from_another_link_changes_nothing(client):
    address_confirm(address=RILEY)
    address_confirm(address="morgan@example.com")
    riley = path(unsubscribe_url(address=RILEY, kind="digest"))
    morgan = path(unsubscribe_url(address="morgan@example.com", kind="digest"))
    riley_action, riley_fields = undo_form(client.post(riley).content.decode())
    client.post(morgan)
    morgan_action, _ = undo_form(client.post(morgan).content.decode())
    refused = client.post(morgan_action, riley_fields)  # Riley's undo on Morgan's link
    assert refused.status_code == 400 and b"This link does not work" in refused.content
    assert client.post(riley_action, {"undo": riley_fields["undo"][:-2] + "xx"}).status_code == 400
    assert not can_mail(RILEY, kind="digest") and not can_mail("morgan@example.com", kind="digest")


def test_an_address_longer_than_254_characters_is_not_an_address():
    from core.errors import ServiceError
    from mail.addresses import normalize

    assert normalize(" " + "a" * 242 + "@example.com ") == "a" * 242 + "@example.com"
    with pytest.raises(ServiceError):
        normalize("a" * 243 + "@example.com")
