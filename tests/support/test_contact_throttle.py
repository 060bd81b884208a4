"""``POST /api/contacts/`` is held to the contact form's limit (``RATE_CONTACT``) for everyone but agents.

The page and the API count on one counter per visitor (IP when anonymous, account when signed in),
so switching from the form to the API is no way around the limit.
"""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from support.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_an_hour(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "contact": "2/hour"}}


def api_client(user=None, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def new_contact(client, subject: str, **extra):
    return client.post("/api/contacts/", {"customer_email": "visitor@example.org", "subject": subject,
                                          "body": "Guests connect but get no internet.", **extra}, format="json")


def test_anonymous_api_contacts_are_throttled_with_a_json_reason():
    client = api_client()
    for n in range(2):
        assert new_contact(client, f"Try {n}").status_code == 201
    response = new_contact(client, "Third try")
    assert response.status_code == 429
    assert "Wait a while" in response.json()["detail"]
    assert list(Contact.objects.order_by("pk").values_list("subject", flat=True)) == ["Try 0", "Try 1"]
    # Another visitor (another address) is not held back by the first one.
    assert new_contact(api_client(REMOTE_ADDR="10.0.0.9"), "Someone else").status_code == 201


def test_the_form_and_the_api_share_one_limit():
    form = Client()
    response = form.post("/help/contact/", {"name": "Sam", "email": "visitor@example.org",
                                            "subject": "From the form", "message": "Guests get no internet."})
    assert response.status_code == 302
    assert new_contact(api_client(), "From the API").status_code == 201
    assert new_contact(api_client(), "One more").status_code == 429
    assert Contact.objects.count() == 2


def test_signed_in_customers_are_limited_per_account(alice, bob):
    for n in range(2):
        assert new_contact(api_client(alice), f"Alice {n}").status_code == 201
    assert new_contact(api_client(alice), "Alice again").status_code == 429
    # Bob shares the address (127.0.0.1) but not the account.
    assert new_contact(api_client(bob), "Bob").status_code == 201
    assert Contact.objects.filter(subject__startswith="Alice").count() == 2


def test_bad_input_does_not_use_up_the_limit():
    client = api_client()
    for _ in range(3):
        response = client.post("/api/contacts/", {"subject": "No address", "body": "Hello"}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "customer_email"
    assert new_contact(client, "With an address").status_code == 201


def test_agents_and_gateways_are_not_limited(agent):
    client = api_client(agent)
    for n in range(4):
        assert new_contact(client, f"Call {n}", channel="voice").status_code == 201
    assert Contact.objects.count() == 4
