"""The contact form suggests articles as the visitor types; opening one without sending is a deflection,
which editors see in the article's usage. Real articles, real model and FAISS, through the test client."""
from __future__ import annotations

import re

import pytest

from kb.usage_selectors import article_usage
from support.models import Contact, ContactSuggestionOpen
from tests.support.console_corpus import console_kb  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

SUBJECT = "Wi-Fi for visitors"
MESSAGE = "Friends stay over the weekend. How do I give them Wi-Fi without them seeing my cameras?"


def suggested(client, **params) -> list[str]:
    html = client.get("/help/contact/suggest/", params, HTTP_HX_REQUEST="true").content.decode()
    return re.findall(r'<a href="(/help/contact/suggestions/\d+/)"[^>]*>([^<]+)</a>', html)


def test_contact_form_suggests_articles_and_counts_deflections(client, console_kb, editor, client_for):
    guest = console_kb["guest"]
    assert suggested(client, subject="", message="") == []
    found = suggested(client, subject=SUBJECT, message=MESSAGE)
    assert found[0] == (f"/help/contact/suggestions/{guest.pk}/", guest.title)
    assert console_kb["rma"].title not in [title for _, title in found]  # internal: agents only

    # Opening it goes on to the article and is recorded; no request follows: a deflection.
    response = client.get(found[0][0])
    assert response.status_code == 302 and response["Location"] == f"{guest.get_absolute_url()}?from=suggest"
    client.get(found[0][0])  # the same visit opening it again is one open
    assert [o.deflected for o in ContactSuggestionOpen.objects.all()] == [True]

    # Another visitor opens it too, then sends a request anyway: not a deflection.
    other = client_for(None)
    other.get(f"/help/contact/suggestions/{guest.pk}/")
    sent = other.post("/help/contact/", {"name": "Kim", "email": "kim@example.org", "subject": SUBJECT,
                                         "message": MESSAGE})
    assert sent.status_code == 302
    contact = Contact.objects.get()
    assert ContactSuggestionOpen.objects.filter(contact=contact).count() == 1

    usage = article_usage(article=guest)
    assert (usage["contact_form_opens"], usage["contact_form_deflected"]) == (2, 1)
    page = client_for(editor).get(f"/kb/articles/{guest.pk}/edit/").content.decode()
    assert "opened from its suggestions 2×, 1 of them without sending a request (deflected)" in page


def test_contact_form_suggestions_never_open_what_the_visitor_may_not_read(client, console_kb):
    assert client.get(f"/help/contact/suggestions/{console_kb['rma'].pk}/").status_code == 404
    assert client.get(f"/help/contact/suggestions/{console_kb['draft'].pk}/").status_code == 404
    assert client.get("/help/contact/suggestions/999999/").status_code == 404
    assert not ContactSuggestionOpen.objects.exists()
