"""The Django admin for contacts: admins browse, filter, search and read the conversation, and
change a status through the console's service."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(db):
    from support.services import contact_create

    return contact_create(channel="email", customer_email="sam@example.com", customer_name="Sam Rivera",
                          subject="Guest Wi-Fi for my shop", body="How do I give customers Wi-Fi without my password?")


@pytest.mark.parametrize("query", ["", "?q=sam@example.com", "?q=Rivera", "?status__exact=open",
                                   "?channel__exact=chat", "?assigned_agent__id__exact=1"])
def test_admin_lists_contacts_with_filters_and_search(admin_client, contact, query):
    assert admin_client.get(f"/admin/support/contact/{query}").status_code == 200


def test_contact_search_narrows_the_list(admin_client, contact):
    assert "Guest Wi-Fi for my shop" in admin_client.get("/admin/support/contact/", {"q": "Rivera"}).content.decode()
    assert "Guest Wi-Fi for my shop" not in admin_client.get("/admin/support/contact/?channel__exact=chat").content.decode()


def test_a_contact_page_shows_the_conversation_read_only(admin_client, contact):
    response = admin_client.get(f"/admin/support/contact/{contact.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "How do I give customers Wi-Fi without my password?" in page
    assert f"/console/contacts/{contact.pk}/" in page and 'name="status"' not in page


def test_a_status_changes_through_the_service(admin_client, contact):
    response = admin_client.post("/admin/support/contact/", {"action": "mark_resolved",
                                                            "_selected_action": [contact.pk]}, follow=True)
    assert "Marked resolved 1 of 1." in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == "resolved"
