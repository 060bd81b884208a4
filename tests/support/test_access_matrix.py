"""Every help-center, console, support-API and article page or endpoint against every role.

Issue 6: contacts and the customer view only for agents; customers only their own contacts;
internal articles only in the agent console and for editors. Expectations come from that and
from ``docs/helpcenter.md`` and ``docs/agent-console.md``, not from the code.

The world: a public, an internal (both published) and a draft article; Alice's contact (a
web-form request carrying her searches and the public and internal articles, plus an agent's
reply) and a stranger's contact from an address without an account. Each case sends one
request as one role, then checks the status (or where a redirect leads), that a write happened
or did not, which texts the answer shows, and that no answer ever shows a role something it may
not see (``SECRETS``). Search, which needs the real model and index, has its own test below;
``test_every_endpoint_has_a_row`` fails when a new endpoint has no row here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from community.models import Tag
from kb import services as kb_services
from kb.models import Article, ArticleFlag
from support import services
from support.models import Contact, ContactAttachment, ContactMessage, SuggestionEvent
from tests.kb.editorial import make_article
from tests.support.helpcenter_fixtures import help_index  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "owner", "other_member", "agent", "editor", "admin")
ALL = frozenset(ROLES)
NOBODY = frozenset()
AGENTS = frozenset({"agent", "admin"})  # support.handle_contact
INTERNAL = frozenset({"agent", "editor", "admin"})  # kb.view_internal_article
EDITORS = frozenset({"editor", "admin"})  # kb.edit_article
OWNER_AND_AGENTS = AGENTS | {"owner"}

# Page outcomes beside plain status codes: LOGIN = redirected to the sign-in page.
LOGIN = "login"
SUCCESS = (200, 201, 204, 302)

TEXTS = {
    "public": "Beacon ring blinks amber",
    "internal": "Beacon replacement RMA steps for agents",
    "draft": "Spring firmware rollback plan",
    "contact": "My Beacon keeps blinking amber at night",
    "customer_words": "The ring has been amber since Tuesday evening",
    "agent_reply": "Please move the Beacon two rooms closer to the H1",
    "stranger": "Order 4471 never shipped to Leeds",
}
# Who may ever see each text, on any page or in any answer (errors and redirects included).
SECRETS = {
    "internal": INTERNAL,
    "draft": EDITORS,
    "contact": OWNER_AND_AGENTS,
    "customer_words": OWNER_AND_AGENTS,
    "agent_reply": OWNER_AND_AGENTS,
    "stranger": AGENTS,
}


@dataclass
class World:
    users: dict[str, Any]
    public: Article
    internal: Article
    draft: Article
    contact: Contact
    stranger: Contact
    attachment: ContactAttachment

    def article(self, key: str) -> Article:
        return getattr(self, key)


def make_customer(make_user, username: str):
    """An account with only the customer role (sign-up also gives member: taken away here)."""
    user = make_user(username)
    user.groups.remove(Group.objects.get(name="member"))
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {"customer"}
    return user


def build_world(make_user, *, capture=None) -> World:
    """Users, articles and contacts; ``capture`` (on-commit capture) also indexes the articles for search."""
    from contextlib import nullcontext

    users = {
        "anonymous": None,
        "customer": make_customer(make_user, "casey"),
        "owner": make_user("alice"),
        "other_member": make_user("bob"),
        "agent": make_user("agatha", "agent"),
        "editor": make_user("edith", "editor"),
        "admin": make_user("ada", "admin"),
    }
    specs = {
        "public": ("public", "The ring on my Beacon satellite blinks amber and the mesh keeps dropping.",
                   "An amber ring means a weak link to the H1. Move the Beacon halfway to the router."),
        "internal": ("internal", "A Beacon satellite fails the hardware diagnostic and the customer needs a "
                                 "replacement unit.",
                     "Open a replacement order in the warranty portal and send a prepaid return label."),
        "draft": (None, "The spring firmware broke the guest network on some H1 routers.",
                  "Roll back from the app's advanced settings."),
    }
    articles = {}
    with capture(execute=True) if capture is not None else nullcontext():
        for key, (visibility, problem, solution) in specs.items():
            article = make_article(title=TEXTS[key], solution=solution)
            Article.objects.filter(pk=article.pk).update(problem=problem)
            article.refresh_from_db()
            # Shared tags: the public article's related list would offer the internal one if it leaked.
            article.tags.set([Tag.objects.get_or_create(name="beacon")[0]])
            if visibility is not None:
                kb_services.article_transition(user=users["editor"], article=article, action="publish",
                                               visibility=visibility)
                article.refresh_from_db()
            articles[key] = article
    contact = services.contact_create(
        channel=Contact.Channel.WEB_FORM, customer_email="alice@example.com", customer_name="Alice",
        subject=TEXTS["contact"], body=TEXTS["customer_words"], search_terms=["beacon amber ring"],
        viewed_article_ids=[articles["public"].pk, articles["internal"].pk],
    )
    assert contact.customer == users["owner"]
    services.message_append(contact=contact, sender=ContactMessage.Sender.AGENT, author=users["agent"],
                            body=TEXTS["agent_reply"])
    stranger = services.contact_create(channel=Contact.Channel.WEB_FORM, customer_email="pat@example.org",
                                       subject=TEXTS["stranger"], body="Where is my order?",
                                       opened_by=AnonymousUser())
    attachment = ContactAttachment(message=contact.messages.first(), filename="ring.txt", content_type="text/plain",
                                   size=len(TEXTS["customer_words"]))
    attachment.file.save("ring.txt", ContentFile(TEXTS["customer_words"].encode()), save=True)
    return World(users=users, contact=contact, stranger=stranger, attachment=attachment, **articles)


@dataclass
class Endpoint:
    name: str
    url_name: str  # the URL pattern this row covers (see test_every_endpoint_has_a_row)
    method: str
    url: Callable[[World], str]
    expect: dict[str, Any]  # role → status code, or LOGIN
    api: bool = False
    data: Callable[[World, str], dict] = lambda w, role: {}
    effect: Callable[[World], Any] | None = None  # writes: a value that changes when the write happened
    shows: dict[str, frozenset] = field(default_factory=dict)  # text key → roles whose answer must show it
    hides: dict[str, frozenset] = field(default_factory=dict)  # text key → roles it must not show, beyond SECRETS
    location: Callable[[World], str] | None = None  # where a successful redirect leads
    prepare: Callable[[World, str, Any], None] = lambda w, role, client: None
    check: Callable[[World, str, Any], None] | None = None  # more assertions on a successful answer


def roles(default, **overrides) -> dict[str, Any]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


def agents_only(ok: int) -> dict[str, Any]:
    """Console pages: anonymous signs in first, other roles get 403 (editors too: they do not handle contacts)."""
    return roles(403, anonymous=LOGIN, agent=ok, admin=ok)


def agents_only_api(ok: int) -> dict[str, Any]:
    return roles(403, agent=ok, admin=ok)


# --- effects --------------------------------------------------------------------------------------

def _contacts(w): return Contact.objects.count()
def _messages(w): return ContactMessage.objects.filter(contact=w.contact).count()
def _status(w): return Contact.objects.get(pk=w.contact.pk).status
def _assignee(w): return Contact.objects.get(pk=w.contact.pk).assigned_agent_id
def _resolved_by(w): return Contact.objects.get(pk=w.contact.pk).resolved_by_id
def _articles(w): return Article.objects.count()
def _flags(w): return ArticleFlag.objects.count()


def _events(action: str) -> Callable[[World], int]:
    return lambda w: SuggestionEvent.objects.filter(contact=w.contact, action=action).count()


def _helpful(key: str) -> Callable[[World], int]:
    return lambda w: Article.objects.get(pk=w.article(key).pk).helpful_yes


# --- request data ---------------------------------------------------------------------------------

def _contact_form(w: World, role: str) -> dict:
    # Signed-in visitors may leave the address out (their account's is used); anonymous ones must give one.
    return {"name": "Sam", "email": "visitor@example.org" if role == "anonymous" else "",
            "subject": "Guest network has no internet", "message": "Guests connect but get no internet."}


def _api_contact(channel: str) -> Callable[[World, str], dict]:
    return lambda w, role: {"channel": channel, "customer_email": "visitor@example.org",
                            "subject": "Guest network has no internet", "body": "Guests connect but get no internet."}


def _send_contact_first(w: World, role: str, client) -> None:
    response = client.post("/help/contact/", _contact_form(w, role))
    assert response.status_code == 302, response.content[:500]


def _close_contact(w: World, role: str, client) -> None:
    services.contact_set_status(contact=w.contact, status=Contact.Status.CLOSED)


def _usage_panel_only_for_editors(w: World, role: str, response) -> None:
    assert ('class="kb-usage kb-panel"' in response.content.decode()) == (role in EDITORS)


def _usage_only_for_editors(w: World, role: str, response) -> None:
    assert (response.json()["usage"] is not None) == (role in EDITORS)


def _kb_article(key: str) -> Callable[[World], str]:
    return lambda w: f"/kb/{w.article(key).slug}/"


def _console(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/console/contacts/{w.contact.pk}/{suffix}"


def _console_article(action: str, key: str = "internal") -> Callable[[World], str]:
    return lambda w: f"/console/contacts/{w.contact.pk}/suggestions/{w.article(key).pk}/{action}/"


def _api_suggestion(action: str) -> Callable[[World], str]:
    return lambda w: f"/api/contacts/{w.contact.pk}/suggestions/{w.internal.pk}/{action}"


ENDPOINTS = [
    # --- help center pages (docs/helpcenter.md) --------------------------------------------------------
    # The home page lists public articles only, whoever is signed in.
    Endpoint("home", "home", "get", lambda w: "/", roles(200), shows={"public": ALL},
             hides={"internal": ALL, "draft": ALL}),
    Endpoint("help index", "help:index", "get", lambda w: "/help/", roles(302), location=lambda w: "/"),
    Endpoint("contact form", "help:contact", "get", lambda w: "/help/contact/", roles(200)),
    Endpoint("contact send", "help:contact", "post", lambda w: "/help/contact/", roles(302), data=_contact_form,
             effect=_contacts, location=lambda w: "/help/contact/sent/"),
    # As the visitor types, the form suggests articles they may read (what it finds with an index is in
    # test_contact_deflection.py); opening one goes through a counted link.
    Endpoint("contact suggestions", "help:contact_suggest", "get",
             lambda w: "/help/contact/suggest/?subject=Beacon+ring+blinks+amber&message=the+mesh+keeps+dropping",
             roles(200), hides={"internal": ALL, "draft": ALL}),
    Endpoint("contact suggestion, public", "help:contact_suggestion_open", "get",
             lambda w: f"/help/contact/suggestions/{w.public.pk}/", roles(302),
             location=lambda w: f"/kb/{w.public.slug}/?from=suggest"),
    Endpoint("contact suggestion, internal", "help:contact_suggestion_open", "get",
             lambda w: f"/help/contact/suggestions/{w.internal.pk}/", roles(404, **{r: 302 for r in INTERNAL}),
             location=lambda w: f"/kb/{w.internal.slug}/?from=suggest"),
    Endpoint("contact suggestion, draft", "help:contact_suggestion_open", "get",
             lambda w: f"/help/contact/suggestions/{w.draft.pk}/", roles(404)),
    # The confirmation is only for the browser that just sent a request; anyone else goes to the form.
    Endpoint("contact sent, nothing sent", "help:contact_sent", "get", lambda w: "/help/contact/sent/", roles(302),
             location=lambda w: "/help/contact/"),
    Endpoint("contact sent, after sending", "help:contact_sent", "get", lambda w: "/help/contact/sent/", roles(200),
             prepare=_send_contact_first),
    Endpoint("my help", "help:me", "get", lambda w: "/help/me/", roles(200, anonymous=LOGIN),
             shows={"contact": frozenset({"owner"})}, hides={"contact": ALL - {"owner"}, "stranger": ALL}),
    # Someone else's request is a 404 for everyone, agents included: they use the console.
    Endpoint("my contact", "help:my_contact", "get", lambda w: f"/help/me/contacts/{w.contact.pk}/",
             roles(404, anonymous=LOGIN, owner=200),
             shows={"contact": frozenset({"owner"}), "agent_reply": frozenset({"owner"}),
                    "public": frozenset({"owner"})}),
    Endpoint("my contact, a stranger's", "help:my_contact", "get", lambda w: f"/help/me/contacts/{w.stranger.pk}/",
             roles(404, anonymous=LOGIN)),
    Endpoint("my contact reply", "help:my_contact", "post", lambda w: f"/help/me/contacts/{w.contact.pk}/",
             roles(404, anonymous=LOGIN, owner=302), data=lambda w, r: {"body": "It is still amber."},
             effect=_messages, location=lambda w: f"/help/me/contacts/{w.contact.pk}/#latest"),
    Endpoint("my contact reply, closed", "help:my_contact", "post", lambda w: f"/help/me/contacts/{w.contact.pk}/",
             roles(404, anonymous=LOGIN, owner=403), data=lambda w, r: {"body": "It is still amber."},
             effect=_messages, prepare=_close_contact),
    Endpoint("feedback, public", "help:feedback", "post", lambda w: f"/help/articles/{w.public.slug}/feedback/",
             roles(302), data=lambda w, r: {"helpful": "yes"}, effect=_helpful("public"),
             location=lambda w: f"/kb/{w.public.slug}/#feedback"),
    Endpoint("feedback, internal", "help:feedback", "post", lambda w: f"/help/articles/{w.internal.slug}/feedback/",
             roles(404, agent=302, editor=302, admin=302), data=lambda w, r: {"helpful": "yes"},
             effect=_helpful("internal"), location=lambda w: f"/kb/{w.internal.slug}/#feedback"),
    # Editors may open a draft, but only published articles take votes (a 400 with the reason).
    Endpoint("feedback, draft", "help:feedback", "post", lambda w: f"/help/articles/{w.draft.slug}/feedback/",
             roles(404, editor=400, admin=400), data=lambda w, r: {"helpful": "yes"}, effect=_helpful("draft")),
    # --- the article page ----------------------------------------------------------------------------
    # Related articles (shared tag) offer the internal one to agents and editors only.
    Endpoint("article, public", "kb:article", "get", _kb_article("public"), roles(200),
             shows={"public": ALL, "internal": INTERNAL},
             check=_usage_panel_only_for_editors),
    Endpoint("article, internal", "kb:article", "get", _kb_article("internal"), roles(404, **{r: 200 for r in INTERNAL}),
             shows={"internal": INTERNAL}),
    Endpoint("article, draft", "kb:article", "get", _kb_article("draft"), roles(404, editor=200, admin=200),
             shows={"draft": EDITORS}),
    # --- agent console pages (docs/agent-console.md) -----------------------------------------------------
    Endpoint("console list", "console:contacts", "get", lambda w: "/console/", agents_only(200),
             shows={"contact": AGENTS, "stranger": AGENTS}),
    Endpoint("console contact", "console:contact", "get", _console(), agents_only(200),
             shows={"contact": AGENTS, "customer_words": AGENTS, "agent_reply": AGENTS, "internal": AGENTS}),
    Endpoint("console sidebar", "console:suggestions", "get", _console("suggestions/"), agents_only(200)),
    Endpoint("console sidebar, as the agent types", "console:suggestions_live", "post", _console("suggestions/live/"),
             agents_only(200), data=lambda w, r: {"draft": "Is the ring amber after the move?", "last": ""}),
    Endpoint("console sidebar search", "console:search", "get", _console("search/?q=beacon+replacement"),
             agents_only(200), shows={"internal": AGENTS}),
    # A file from the customer's e-mail: a download for agents only (the customer words are its content).
    Endpoint("console attachment", "console:attachment", "get",
             lambda w: f"/console/contacts/{w.contact.pk}/attachments/{w.attachment.pk}/", agents_only(200),
             shows={"customer_words": AGENTS}),
    Endpoint("console attachment, another contact's", "console:attachment", "get",
             lambda w: f"/console/contacts/{w.stranger.pk}/attachments/{w.attachment.pk}/", agents_only(404)),
    Endpoint("console customer view", "console:customer", "get", lambda w: f"/console/customers/{w.contact.pk}/",
             agents_only(200), shows={"contact": AGENTS, "internal": AGENTS}),
    Endpoint("console customer view, stranger", "console:customer", "get",
             lambda w: f"/console/customers/{w.stranger.pk}/", agents_only(200), shows={"stranger": AGENTS}),
    Endpoint("console capture form", "console:capture", "get", _console("capture/"), agents_only(200),
             shows={"contact": AGENTS}),
    Endpoint("console capture", "console:capture", "post", _console("capture/"), agents_only(302),
             data=lambda w, r: {"title": "Amber ring after a move", "problem": "Amber ring.",
                                "solution": "Move it closer.", "tags": "beacon"},
             effect=_articles, location=_console()),
    Endpoint("console reply", "console:reply", "post", _console("reply/"), agents_only(302),
             data=lambda w, r: {"body": "Did moving it help?"}, effect=_messages, location=_console()),
    Endpoint("console status", "console:status", "post", _console("status/"), agents_only(302),
             data=lambda w, r: {"status": "pending"}, effect=_status, location=_console()),
    Endpoint("console assign", "console:assign", "post", _console("assign/"), agents_only(302),
             data=lambda w, r: {"action": "me"}, effect=_assignee, location=_console()),
    # Without JavaScript the insert comes back as the contact page with the text in the reply box.
    Endpoint("console insert", "console:insert", "post", _console_article("insert"), agents_only(200),
             data=lambda w, r: {"mode": "excerpt"}, effect=_events("inserted"), shows={"internal": AGENTS}),
    # An internal article has no page a customer can open: no link to insert (docs/agent-console.md).
    Endpoint("console insert link, internal", "console:insert", "post", _console_article("insert"),
             roles(403, anonymous=LOGIN, agent=400, admin=400), data=lambda w, r: {"mode": "link"}),
    Endpoint("console link", "console:link", "post", _console_article("link"), agents_only(302),
             effect=_resolved_by, location=_console()),
    # Agents cannot see drafts, so they cannot use one; admins can do everything.
    Endpoint("console link, draft", "console:link", "post", _console_article("link", "draft"),
             roles(403, anonymous=LOGIN, agent=404, admin=302), effect=_resolved_by, location=_console()),
    Endpoint("console dismiss", "console:dismiss", "post", _console_article("dismiss"), agents_only(302),
             effect=_events("dismissed"), location=_console()),
    Endpoint("console flag", "console:flag", "post",
             lambda w: f"/console/contacts/{w.contact.pk}/articles/{w.internal.pk}/flag/", agents_only(302),
             data=lambda w, r: {"kind": "outdated", "note": "The portal moved."}, effect=_flags,
             location=_console()),
    # --- support API -------------------------------------------------------------------------------------
    Endpoint("api contacts", "support-api:contacts", "get", lambda w: "/api/contacts/", roles(200, anonymous=403),
             api=True, shows={"contact": OWNER_AND_AGENTS, "stranger": AGENTS}),
    Endpoint("api contact create, web form", "support-api:contacts", "post", lambda w: "/api/contacts/", roles(201),
             api=True, data=_api_contact("web_form"), effect=_contacts),
    Endpoint("api contact create, e-mail channel", "support-api:contacts", "post", lambda w: "/api/contacts/",
             agents_only_api(201), api=True, data=_api_contact("email"), effect=_contacts),
    # The contact carries an internal article Alice never could read: her own answer leaves it out.
    Endpoint("api contact", "support-api:contact", "get", lambda w: f"/api/contacts/{w.contact.pk}/",
             roles(404, anonymous=403, owner=200, agent=200, admin=200), api=True,
             shows={"contact": OWNER_AND_AGENTS, "customer_words": OWNER_AND_AGENTS,
                    "agent_reply": OWNER_AND_AGENTS, "public": OWNER_AND_AGENTS, "internal": AGENTS}),
    Endpoint("api contact, a stranger's", "support-api:contact", "get", lambda w: f"/api/contacts/{w.stranger.pk}/",
             roles(404, anonymous=403, agent=200, admin=200), api=True, shows={"stranger": AGENTS}),
    Endpoint("api message", "support-api:messages", "post", lambda w: f"/api/contacts/{w.contact.pk}/messages/",
             roles(404, anonymous=403, owner=201, agent=201, admin=201), api=True,
             data=lambda w, r: {"body": "Any news?"}, effect=_messages),
    # Customers write as the customer only, and not on a closed contact; agents may do both.
    Endpoint("api message as an agent", "support-api:messages", "post",
             lambda w: f"/api/contacts/{w.contact.pk}/messages/",
             roles(404, anonymous=403, owner=403, agent=201, admin=201), api=True,
             data=lambda w, r: {"body": "Fixed, closing.", "sender": "agent"}, effect=_messages),
    Endpoint("api message, closed", "support-api:messages", "post", lambda w: f"/api/contacts/{w.contact.pk}/messages/",
             roles(404, anonymous=403, owner=403, agent=201, admin=201), api=True,
             data=lambda w, r: {"body": "Any news?"}, effect=_messages, prepare=_close_contact),
    Endpoint("api suggestions", "support-api:suggestions", "get",
             lambda w: f"/api/contacts/{w.contact.pk}/suggestions", agents_only_api(200), api=True),
    Endpoint("api insert", "support-api:suggestion-insert", "post", _api_suggestion("insert"), agents_only_api(201),
             api=True, effect=_events("inserted")),
    Endpoint("api link", "support-api:suggestion-link", "post", _api_suggestion("link"), agents_only_api(201),
             api=True, effect=_resolved_by),
    Endpoint("api dismiss", "support-api:suggestion-dismiss", "post", _api_suggestion("dismiss"),
             agents_only_api(201), api=True, effect=_events("dismissed")),
    Endpoint("api capture", "support-api:capture", "post", lambda w: f"/api/contacts/{w.contact.pk}/capture",
             agents_only_api(201), api=True, effect=_articles),
    Endpoint("api suggest", "support-api:suggest", "post", lambda w: "/api/agent/suggest", agents_only_api(200),
             api=True, data=lambda w, r: {"text": "My Beacon ring blinks amber"}),
    Endpoint("api flag", "support-api:article-flags", "post", lambda w: f"/api/agent/articles/{w.internal.pk}/flags",
             agents_only_api(201), api=True, data=lambda w, r: {"kind": "wrong", "note": "Wrong portal."},
             effect=_flags),
    Endpoint("api flag, draft", "support-api:article-flags", "post",
             lambda w: f"/api/agent/articles/{w.draft.pk}/flags", roles(403, agent=404, admin=201), api=True,
             data=lambda w, r: {"kind": "wrong", "note": "Wrong portal."}, effect=_flags),
    # --- knowledge-base API: article reads ---------------------------------------------------------------
    Endpoint("api kb articles", "kb-api:articles", "get", lambda w: "/api/kb/articles/", roles(200), api=True,
             shows={"public": ALL, "internal": INTERNAL, "draft": EDITORS}),
    Endpoint("api kb article, public", "kb-api:article", "get", lambda w: f"/api/kb/articles/{w.public.pk}/",
             roles(200), api=True, shows={"public": ALL}, check=_usage_only_for_editors),
    Endpoint("api kb article, internal", "kb-api:article", "get", lambda w: f"/api/kb/articles/{w.internal.pk}/",
             roles(404, **{r: 200 for r in INTERNAL}), api=True, shows={"internal": INTERNAL},
             check=_usage_only_for_editors),
    Endpoint("api kb article, draft", "kb-api:article", "get", lambda w: f"/api/kb/articles/{w.draft.pk}/",
             roles(404, editor=200, admin=200), api=True, shows={"draft": EDITORS}),
    Endpoint("api kb versions", "kb-api:versions", "get", lambda w: f"/api/kb/articles/{w.internal.pk}/versions/",
             roles(403, editor=200, admin=200), api=True, shows={"internal": EDITORS}),
    Endpoint("api kb version diff", "kb-api:version-diff", "get",
             lambda w: f"/api/kb/articles/{w.draft.pk}/versions/1/diff/", roles(403, editor=200, admin=200), api=True),
]


@pytest.fixture
def world(make_user, help_index) -> World:
    return build_world(make_user)


def _client(user, *, api: bool):
    from django.test import Client
    from rest_framework.test import APIClient

    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_no_secrets(body: str, role: str, what: str) -> None:
    for key, allowed in SECRETS.items():
        if role not in allowed:
            assert TEXTS[key] not in body, f"{what}: {role} was shown {key!r} ({TEXTS[key]!r})"


CASES = [pytest.param(endpoint, role, id=f"{endpoint.name}-{role}") for endpoint in ENDPOINTS for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_access_matrix(world, endpoint: Endpoint, role: str):
    client = _client(world.users[role], api=endpoint.api)
    expected = endpoint.expect[role]
    endpoint.prepare(world, role, client)
    before = endpoint.effect(world) if endpoint.effect else None
    kwargs = {"format": "json"} if endpoint.api else {}
    response = getattr(client, endpoint.method)(endpoint.url(world), endpoint.data(world, role), **kwargs)
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    location = response.get("Location", "")

    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/accounts/login/?next="), (
            response.status_code, location)
    else:
        assert response.status_code == expected, body[:500]
        if expected == 302 and endpoint.location is not None:
            assert location == endpoint.location(world)
        if expected == 302:
            assert not location.startswith("/accounts/login/")
    if endpoint.api and response.status_code >= 400:
        assert response.json()["detail"]
    elif response.status_code == 403:
        assert body.strip(), "a refusal says why"

    if endpoint.effect is not None:
        changed = endpoint.effect(world) != before
        succeeded = expected in SUCCESS
        assert changed == succeeded, "the answer said yes but nothing changed" if succeeded else "refused, yet changed"

    assert_no_secrets(body, role, endpoint.name)
    for key, allowed in endpoint.shows.items():
        if role in allowed:
            assert TEXTS[key] in body, f"{role} should see {key!r} on {endpoint.name}"
    for key, hidden in endpoint.hides.items():
        if role in hidden:
            assert TEXTS[key] not in body, f"{role} should not see {key!r} on {endpoint.name}"
    if endpoint.check is not None and response.status_code in SUCCESS:
        endpoint.check(world, role, response)


# --- search: internal articles only for agents and editors ------------------------------------------


SEARCHES = {
    "/search/": "/search/?q=beacon+replacement+rma",
    "/search/suggest": "/search/suggest?q=beacon+replacement+rma",
    "/api/search": "/api/search?q=beacon+replacement+rma",
}


@pytest.mark.parametrize("endpoint", list(SEARCHES))
def test_search_shows_internal_articles_only_to_agents_and_editors(
        make_user, help_index, embedder, django_capture_on_commit_callbacks, endpoint):
    """One indexed world (real model, real FAISS) per endpoint, every role asked the same question."""
    from search.models import Document

    world = build_world(make_user, capture=django_capture_on_commit_callbacks)
    assert Document.objects.filter(kind="article", is_active=True).count() == 2  # drafts are never indexed
    for role in ROLES:
        client = _client(world.users[role], api=endpoint.startswith("/api/"))
        response = client.get(SEARCHES[endpoint])
        assert response.status_code == 200, (role, response.content[:300])
        body = response.content.decode()
        assert (TEXTS["internal"] in body) == (role in INTERNAL), f"{endpoint} as {role}"
        assert TEXTS["draft"] not in body, f"{endpoint} as {role}"
        if endpoint != "/search/suggest":  # the dropdown keeps only close matches; the results list both
            assert TEXTS["public"] in body, f"{endpoint} as {role}"


# --- completeness -----------------------------------------------------------------------------------

COVERED_NAMESPACES = ("help", "console", "support-api")
COVERED_NAMES = ("home", "kb:article")


def _url_names(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            yield from _url_names(pattern, f"{namespace}:{inner}".strip(":") if inner else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_endpoint_has_a_row():
    names = set(_url_names(get_resolver()))
    wanted = {name for name in names if name.split(":")[0] in COVERED_NAMESPACES} | set(COVERED_NAMES)
    assert set(COVERED_NAMES) <= names, "the home page or article page moved"
    assert len(wanted) > 20
    missing = wanted - {endpoint.url_name for endpoint in ENDPOINTS}
    assert not missing, f"endpoints without a row in the access matrix: {sorted(missing)}"
    unknown = {endpoint.url_name for endpoint in ENDPOINTS} - names
    assert not unknown, f"rows for URL names that no longer exist: {sorted(unknown)}"
