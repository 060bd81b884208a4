"""Joining the community from "Ask the community": one step (rules, display name; anonymous visitors
sign up in the same step), then the ask form with the question they typed."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from community.models import User
from community.roles import MEMBER, role_revoke

pytestmark = pytest.mark.django_db

TITLE = "Beacon ring stays amber after the update"


@pytest.fixture
def customer(make_user):
    """A signed-in account that is not a community member (e.g. made for a support contact)."""
    user = make_user("casey")
    role_revoke(user=user, role=MEMBER)
    return User.objects.get(pk=user.pk)


def test_a_customer_asking_is_offered_to_join_with_the_question_kept(client_for, customer):
    client = client_for(customer)
    response = client.get(f"/questions/ask/?title={quote(TITLE)}")
    assert response.status_code == 302
    assert response["Location"] == f"/community/join/?title={quote(TITLE).replace('%20', '+')}"
    page = client.get(response["Location"]).content.decode()
    assert "Join the community to ask" in page and "The community rules" in page
    assert TITLE in page
    assert 'name="password"' not in page  # already signed in: no sign-up fields


def test_a_customer_joins_and_lands_on_the_filled_in_ask_form(client_for, customer):
    client = client_for(customer)
    response = client.post("/community/join/", {"display_name": "Casey R.", "accept_rules": "on", "title": TITLE})
    assert response.status_code == 302
    assert response["Location"].startswith("/questions/ask/?title=")
    customer.refresh_from_db()
    assert customer.display_name == "Casey R." and customer.community_rules_accepted_at is not None
    assert customer.has_perm("community.add_thread")
    ask = client.get(response["Location"]).content.decode()
    assert "Ask the community" in ask and f'value="{TITLE}"' in ask


def test_without_accepting_the_rules_nothing_changes_and_nothing_is_lost(client_for, customer):
    client = client_for(customer)
    response = client.post("/community/join/", {"display_name": "Casey R.", "title": TITLE})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page or "Accept the community rules" in page
    assert TITLE in page and 'value="Casey R."' in page
    customer.refresh_from_db()
    assert not customer.has_perm("community.add_thread") and customer.community_rules_accepted_at is None


def test_an_anonymous_visitor_signs_up_and_joins_in_one_step(client_for):
    client = client_for(None)
    response = client.get(f"/questions/ask/?title={quote(TITLE)}")
    assert response["Location"].startswith("/community/join/?title=")
    page = client.get(response["Location"]).content.decode()
    assert 'name="password"' in page and "Log in" in page
    response = client.post("/community/join/", {
        "username": "riley", "email": "riley@example.com", "password": "correct horse battery 9",
        "display_name": "Riley", "accept_rules": "on", "title": TITLE,
    })
    assert response.status_code == 302 and response["Location"].startswith("/questions/ask/?title=")
    riley = User.objects.get(username="riley")
    assert riley.public_name == "Riley" and riley.community_rules_accepted_at is not None
    assert riley.has_perm("community.add_thread")
    assert f'value="{TITLE}"' in client.get(response["Location"]).content.decode()


def test_a_bad_sign_up_keeps_what_was_typed(client_for, alice):
    response = client_for(None).post("/community/join/", {
        "username": "alice", "email": "new@example.com", "password": "correct horse battery 9",
        "display_name": "Riley", "accept_rules": "on", "title": TITLE,
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "That username is taken." in page and TITLE in page and 'value="Riley"' in page
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_member_goes_straight_to_the_ask_form(client_for, alice):
    client = client_for(alice)
    assert client.get(f"/questions/ask/?title={quote(TITLE)}").status_code == 200
    response = client.get(f"/community/join/?title={quote(TITLE)}")
    assert response.status_code == 302 and response["Location"].startswith("/questions/ask/?title=")


def test_member_join_service_refuses_a_blank_name(customer):
    from community.services import member_join
    from core.errors import ServiceError

    with pytest.raises(ServiceError, match="display name"):
        member_join(user=customer, display_name=" ", accept_rules=True)
    assert not User.objects.get(pk=customer.pk).has_perm("community.add_thread")
