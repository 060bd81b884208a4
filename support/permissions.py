"""Who may do what with contacts. One place, so the permission matrix is testable.

anonymous         create a contact through the web form, with an e-mail address
customer, member  create web-form contacts; see and add messages to their own contacts
agent, admin      handle every contact in the console: list, read, assign, reply, see the customer
                  view; use suggestions (insert, link, dismiss), flag articles, capture drafts
editor            like a member here: editors curate articles, they do not handle contacts

Each ``check_*`` raises ``NotAllowed`` (403) or ``Http404`` with a readable reason; each
``can_*`` returns a bool for templates. Services assume the matching check passed.
"""
from __future__ import annotations

from django.http import Http404

from core.errors import NotAllowed
from kb.permissions import can_view_article
from support.models import Contact, ContactMessage

HANDLE_CONTACT = "support.handle_contact"


def can_handle_contacts(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(HANDLE_CONTACT))


def is_own_contact(user, contact: Contact) -> bool:
    return bool(user is not None and user.is_authenticated and contact.customer_id == user.pk)


def can_view_contact(user, contact: Contact) -> bool:
    return can_handle_contacts(user) or is_own_contact(user, contact)


def check_can_create_contact(user, *, channel: str) -> None:
    """Gateways and agents create contacts on any channel; everyone else only through the web form."""
    if channel != Contact.Channel.WEB_FORM and not can_handle_contacts(user):
        raise NotAllowed("Only support agents and gateways can create contacts on that channel.")


def check_can_list_contacts(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to see your contacts.", code="not_authenticated")


def check_can_view_contact(user, contact: Contact) -> None:
    # Someone else's contact is reported as missing, so ids do not reveal who wrote in.
    if not can_view_contact(user, contact):
        if user is None or not user.is_authenticated:
            raise NotAllowed("Sign in to see your contacts.", code="not_authenticated")
        raise Http404


def check_can_append_message(user, contact: Contact, *, sender: str) -> None:
    """Agents (and gateways with the agent role) write as anyone; a customer only as the customer."""
    check_can_view_contact(user, contact)
    if contact.status == Contact.Status.CLOSED and not can_handle_contacts(user):
        raise NotAllowed("This contact is closed; please open a new one.", code="closed")
    if not can_handle_contacts(user) and sender != ContactMessage.Sender.CUSTOMER:
        raise NotAllowed("Customers can only write as the customer.")


def check_can_handle(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in as a support agent.", code="not_authenticated")
    if not can_handle_contacts(user):
        raise NotAllowed("Only support agents can do that.")


def check_can_assign(user, *, assignee) -> None:
    check_can_handle(user)
    if assignee is not None and not can_handle_contacts(assignee):
        raise NotAllowed("Contacts can only be assigned to support agents.", code="not_an_agent")


def check_can_use_article(user, article) -> None:
    """An agent may link, insert, dismiss or flag only an article they are allowed to read."""
    check_can_handle(user)
    if not can_view_article(user, article):
        raise Http404


def can_link_for_customer(article) -> bool:
    """A link in a reply is for the customer, and an internal article's page is closed to them: only a
    public article may be linked; an internal one is offered as an excerpt."""
    return article.visibility == article.Visibility.PUBLIC


def check_can_flag_article(user, article) -> None:
    """Agents flag articles they can read as wrong or outdated (``kb.flag_article``)."""
    check_can_use_article(user, article)
    if not user.has_perm("kb.flag_article"):
        raise NotAllowed("Only support agents can flag articles.")


def can_capture_article(user) -> bool:
    """Agents capture new article drafts from contacts (``kb.capture_article``)."""
    return can_handle_contacts(user) and user.has_perm("kb.capture_article")


def check_can_capture_article(user) -> None:
    check_can_handle(user)
    if not can_capture_article(user):
        raise NotAllowed("Only support agents can capture articles.")
