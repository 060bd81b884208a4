"""Contacts through the API: creation links the customer, messages append, every role sees what it may."""
from __future__ import annotations

import pytest

from support import services
from support.models import Contact, ContactMessage

pytestmark = pytest.mark.django_db

CONTACTS = "/api/contacts/"


@pytest.fixture
def alice_contact(alice):
    return services.contact_create(
        channel="email", customer_email="ALICE@Example.com", customer_name="Alice",
        subject="Beacon ring stays amber", body="My Beacon satellite shows an amber ring since yesterday.",
        search_terms=["beacon amber ring"],
    )


def test_contact_create_links_the_customer_by_email_case_insensitively(alice, alice_contact):
    assert alice_contact.customer == alice
    assert alice_contact.status == Contact.Status.OPEN
    assert alice_contact.search_terms == ["beacon amber ring"]
    assert [(m.sender, m.author) for m in alice_contact.messages.all()] == [("customer", alice)]


def test_contact_from_unknown_address_has_no_account(db):
    contact = services.contact_create(channel="chat", customer_email="stranger@example.org",
                                      subject="Guest network", body="How do I turn on the guest Wi-Fi?")
    assert contact.customer is None


def test_anonymous_web_form_creates_a_contact_with_context(api_for, alice):
    from kb.models import Article

    article = Article.objects.create(title="Amber ring on a Beacon", slug="amber-ring",
                                     status=Article.Status.PUBLISHED)
    draft = Article.objects.create(title="Draft", slug="draft-one")
    response = api_for(None).post(CONTACTS, {
        "customer_email": "alice@example.com", "subject": "Amber ring", "body": "The article did not help.",
        "search_terms": ["amber ring", "amber ring"], "viewed_article_ids": [article.pk, draft.pk, 99999],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "web_form"
    # An anonymous form's address is not proof of identity: it never lands in Alice's account.
    assert body["customer"] in (None, "")
    assert body["search_terms"] == ["amber ring"]
    assert [a["id"] for a in body["viewed_articles"]] == [article.pk]
    assert body["messages"][0]["body"] == "The article did not help."


def test_an_anonymous_contact_with_someone_elses_address_stays_out_of_their_list(api_for, alice):
    response = api_for(None).post(CONTACTS, {
        "customer_email": "ALICE@example.com", "subject": "Pretending", "body": "Show me Alice's things.",
    }, format="json")
    assert response.status_code == 201, response.json()
    listed = api_for(alice).get(CONTACTS).json()
    assert all(c["subject"] != "Pretending" for c in listed["results"])


def test_anonymous_needs_an_email_and_the_web_form(api_for):
    client = api_for(None)
    no_email = client.post(CONTACTS, {"subject": "Help", "body": "Router is down"}, format="json")
    assert no_email.status_code == 400 and no_email.json()["code"] == "email_required"
    other_channel = client.post(CONTACTS, {"channel": "email", "customer_email": "x@example.org",
                                           "subject": "Help", "body": "Router is down"}, format="json")
    assert other_channel.status_code == 403


def test_signed_in_customer_cannot_open_a_contact_as_someone_else(api_for, alice, bob):
    """The same policy as the contact form (``contact_create``): another address is only where replies go."""
    response = api_for(bob).post(CONTACTS, {"customer_email": "alice@example.com", "subject": "Port forwarding",
                                            "body": "My console needs NAT type open."}, format="json")
    assert response.status_code == 201
    assert response.json()["customer"] is None
    assert all(c["subject"] != "Port forwarding" for c in api_for(alice).get(CONTACTS).json()["results"])
    # Without an address, the contact is the signed-in customer's own, from their own address.
    response = api_for(bob).post(CONTACTS, {"subject": "Guest Wi-Fi", "body": "Guests cannot connect."},
                                 format="json")
    assert response.status_code == 201
    assert (response.json()["customer"], response.json()["customer_email"]) == ("bob", "bob@example.com")


def test_gateway_agent_creates_on_any_channel(api_for, agent, alice):
    response = api_for(agent).post(CONTACTS, {"channel": "email", "customer_email": "alice@example.com",
                                              "subject": "Firmware", "body": "Update failed at 80%."}, format="json")
    assert response.status_code == 201
    assert response.json()["customer"] == "alice"


def test_bad_input_is_a_json_400(api_for, agent):
    client = api_for(agent)
    for payload in ({"subject": "x"}, {"channel": "fax", "customer_email": "a@example.org", "subject": "x",
                                        "body": "y"}, {"customer_email": "a@example.org", "subject": "x",
                                                       "body": "y" * 20_001}):
        response = client.post(CONTACTS, payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()
    assert client.get(CONTACTS, {"status": "bogus"}).status_code == 400


def test_messages_append_and_reopen(api_for, agent, alice, alice_contact):
    services.contact_set_status(contact=alice_contact, status=Contact.Status.PENDING)
    url = f"{CONTACTS}{alice_contact.pk}/messages/"
    reply = api_for(agent).post(url, {"body": "Please restart the Beacon."}, format="json")
    assert reply.status_code == 201 and reply.json()["sender"] == "agent"
    answer = api_for(alice).post(url, {"body": "Restarted, still amber."}, format="json")
    assert answer.status_code == 201 and answer.json()["sender"] == "customer"
    alice_contact.refresh_from_db()
    assert alice_contact.status == Contact.Status.OPEN
    detail = api_for(alice).get(f"{CONTACTS}{alice_contact.pk}/").json()
    assert [m["sender"] for m in detail["messages"]] == ["customer", "agent", "customer"]
    assert api_for(alice).post(url, {"body": "   "}, format="json").status_code == 400


def test_customer_cannot_write_as_the_agent(api_for, alice, alice_contact):
    response = api_for(alice).post(f"{CONTACTS}{alice_contact.pk}/messages/",
                                   {"body": "Resolved!", "sender": "agent"}, format="json")
    assert response.status_code == 403
    assert ContactMessage.objects.filter(contact=alice_contact).count() == 1


@pytest.mark.parametrize("role, list_status, sees_alice, detail_status, append_status", [
    ("anonymous", 403, False, 403, 403),
    ("alice", 200, True, 200, 201),     # the customer herself
    ("bob", 200, False, 404, 404),      # another member
    ("agent", 200, True, 200, 201),
    ("editor", 200, False, 404, 404),   # editors curate articles; they do not handle contacts
    ("admin_user", 200, True, 200, 201),
])
def test_role_matrix(request, api_for, alice, alice_contact, role, list_status, sees_alice, detail_status,
                     append_status):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = api_for(user)
    listing = client.get(CONTACTS)
    assert listing.status_code == list_status
    if list_status == 200:
        ids = [c["id"] for c in listing.json()["results"]]
        assert (alice_contact.pk in ids) is sees_alice
    detail = client.get(f"{CONTACTS}{alice_contact.pk}/")
    assert detail.status_code == detail_status
    assert detail.json()
    append = client.post(f"{CONTACTS}{alice_contact.pk}/messages/", {"body": "Any news?"}, format="json")
    assert append.status_code == append_status
    assert append.json()


def test_customers_see_only_their_own_and_agents_filter_by_status(api_for, alice, bob, agent, alice_contact):
    bobs = services.contact_create(channel="chat", customer_email="bob@example.com", subject="Guest Wi-Fi",
                                   body="Guests cannot connect.")
    services.contact_set_status(contact=bobs, status=Contact.Status.RESOLVED)
    assert [c["id"] for c in api_for(bob).get(CONTACTS).json()["results"]] == [bobs.pk]
    assert [c["id"] for c in api_for(alice).get(CONTACTS).json()["results"]] == [alice_contact.pk]
    everyone = {c["id"] for c in api_for(agent).get(CONTACTS).json()["results"]}
    assert everyone == {alice_contact.pk, bobs.pk}
    resolved = api_for(agent).get(CONTACTS, {"status": "resolved"}).json()["results"]
    assert [c["id"] for c in resolved] == [bobs.pk]


def test_unknown_contact_is_a_json_404(api_for, agent):
    response = api_for(agent).get(f"{CONTACTS}424242/")
    assert response.status_code == 404 and response.json()


def test_assign_link_and_record_suggestions(agent, alice_contact):
    from kb.models import Article
    from support.models import SuggestionEvent
    from support.permissions import check_can_assign, check_can_use_article

    article = Article.objects.create(title="Amber ring", slug="amber", status=Article.Status.PUBLISHED,
                                     visibility=Article.Visibility.INTERNAL)
    check_can_assign(agent, assignee=agent)
    services.contact_assign(contact=alice_contact, agent=agent)
    check_can_use_article(agent, article)
    services.suggestion_record(agent=agent, contact=alice_contact, article=article, action="dismissed")
    services.contact_link_article(agent=agent, contact=alice_contact, article=article)
    alice_contact.refresh_from_db()
    assert alice_contact.assigned_agent == agent and alice_contact.resolved_by == article
    assert sorted(SuggestionEvent.objects.values_list("action", flat=True)) == ["dismissed", "linked"]


def test_only_agents_may_be_assigned_or_assign(alice, editor, agent, admin_user):
    from core.errors import NotAllowed
    from support.permissions import check_can_assign

    check_can_assign(admin_user, assignee=agent)
    with pytest.raises(NotAllowed):
        check_can_assign(agent, assignee=editor)
    with pytest.raises(NotAllowed):
        check_can_assign(editor, assignee=agent)
