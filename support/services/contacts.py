"""Support writes: contacts, their messages, and what agents did with suggested articles.

Callers run the matching ``support.permissions.check_*`` first; these functions assume it passed.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.errors import ServiceError
from support.models import MESSAGE_MAX_LENGTH, Contact, ContactMessage, SuggestionEvent

MAX_SEARCH_TERMS = 20
MAX_SEARCH_TERM_LENGTH = 200


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("The message is empty.", code="empty_message", field="body")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ServiceError(f"The message is longer than {MESSAGE_MAX_LENGTH} characters.",
                           code="message_too_long", field="body")
    return body


def _clean_terms(terms: Iterable[str]) -> list[str]:
    # The help center sends what the visitor typed; keep it short and de-duplicated, in order.
    cleaned = [" ".join(str(t).split())[:MAX_SEARCH_TERM_LENGTH] for t in terms]
    return list(dict.fromkeys(t for t in cleaned if t))[:MAX_SEARCH_TERMS]


def customer_for_email(email: str):
    """The community account with this e-mail (case-insensitive), or None."""
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


@transaction.atomic
def contact_create(
    *,
    channel: str,
    customer_email: str,
    customer_name: str = "",
    subject: str,
    body: str,
    search_terms: Iterable[str] = (),
    viewed_article_ids: Iterable[int] = (),
    link_account: bool = True,
) -> Contact:
    """Open a contact with its first customer message.

    Links the community account with the same e-mail when one exists and
    ``link_account`` is set — only when the address is trusted (a signed-in customer's
    own, or given by an agent or a gateway); an anonymous form's claimed address is
    kept on the contact but never attaches it to someone's account. Unknown
    article ids in ``viewed_article_ids`` are dropped: stale help-center context must
    not stop a customer from reaching support. Only published articles are kept.
    """
    from kb.models import Article

    if channel not in Contact.Channel.values:
        raise ServiceError(f"Unknown channel {channel!r}.", code="invalid_channel", field="channel")
    customer_email = (customer_email or "").strip()
    if not customer_email:
        raise ServiceError("An e-mail address is required.", code="email_required", field="customer_email")
    subject = " ".join((subject or "").split())
    if not subject:
        raise ServiceError("A subject is required.", code="subject_required", field="subject")
    body = _clean_body(body)

    contact = Contact.objects.create(
        channel=channel,
        customer_email=customer_email,
        customer_name=(customer_name or "").strip()[:150],
        customer=customer_for_email(customer_email) if link_account else None,
        subject=subject[:300],
        search_terms=_clean_terms(search_terms),
    )
    ids = {int(i) for i in viewed_article_ids}
    if ids:
        contact.viewed_articles.set(Article.objects.filter(pk__in=ids, status=Article.Status.PUBLISHED))
    ContactMessage.objects.create(contact=contact, sender=ContactMessage.Sender.CUSTOMER,
                                  author=contact.customer, body=body)
    return contact


@transaction.atomic
def message_append(*, contact: Contact, sender: str, author=None, body: str) -> ContactMessage:
    """Add a message. A customer writing re-opens a pending or resolved contact (they still need help)."""
    if sender not in ContactMessage.Sender.values:
        raise ServiceError(f"Unknown sender {sender!r}.", code="invalid_sender", field="sender")
    message = ContactMessage.objects.create(contact=contact, sender=sender, author=author, body=_clean_body(body))
    changes = {"updated_at": timezone.now()}
    if sender == ContactMessage.Sender.CUSTOMER and contact.status in (Contact.Status.PENDING, Contact.Status.RESOLVED):
        changes["status"] = Contact.Status.OPEN
    Contact.objects.filter(pk=contact.pk).update(**changes)
    for name, value in changes.items():
        setattr(contact, name, value)
    return message


@transaction.atomic
def contact_assign(*, contact: Contact, agent) -> Contact:
    """Assign to ``agent`` (None unassigns). Precondition: ``check_can_assign``."""
    contact.assigned_agent = agent
    contact.save(update_fields=["assigned_agent", "updated_at"])
    return contact


@transaction.atomic
def contact_set_status(*, contact: Contact, status: str) -> Contact:
    if status not in Contact.Status.values:
        raise ServiceError(f"Unknown status {status!r}.", code="invalid_status", field="status")
    contact.status = status
    contact.save(update_fields=["status", "updated_at"])
    return contact


@transaction.atomic
def suggestion_record(*, agent, contact: Contact, article, action: str) -> SuggestionEvent:
    """Remember what an agent did with a suggested article (for ranking and editors)."""
    if action not in SuggestionEvent.Action.values:
        raise ServiceError(f"Unknown action {action!r}.", code="invalid_action", field="action")
    return SuggestionEvent.objects.create(agent=agent, contact=contact, article=article, action=action)


@transaction.atomic
def contact_link_article(*, agent, contact: Contact, article) -> Contact:
    """Mark ``article`` as what resolved the contact. Precondition: ``check_can_use_article``."""
    contact.resolved_by = article
    contact.save(update_fields=["resolved_by", "updated_at"])
    suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.LINKED)
    return contact


# --- what agents do with suggested articles ----------------------------------------------------


@transaction.atomic
def suggestion_dismiss(*, agent, contact: Contact, article) -> SuggestionEvent:
    """Hide ``article`` from this contact's suggestions from now on. Precondition: ``check_can_use_article``.

    Dismissing twice keeps the first event: the count editors see is per contact.
    """
    existing = SuggestionEvent.objects.filter(contact=contact, article=article,
                                              action=SuggestionEvent.Action.DISMISSED).first()
    if existing is not None:
        return existing
    return suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.DISMISSED)


@transaction.atomic
def suggestion_insert(*, agent, contact: Contact, article) -> SuggestionEvent:
    """Record that the agent put a link or an excerpt of ``article`` into a reply.

    Precondition: ``check_can_use_article``. The text itself goes into the reply box on the
    agent's side; it becomes part of the conversation only when the reply is sent.
    """
    return suggestion_record(agent=agent, contact=contact, article=article, action=SuggestionEvent.Action.INSERTED)


def suggestions_record_shown(*, agent, contact: Contact, article_ids: Iterable[int]) -> int:
    """Record ``shown`` once per article per contact (the sidebar re-ranks often); returns how many were new."""
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    if not ids:
        return 0
    seen = set(SuggestionEvent.objects.filter(contact=contact, article_id__in=ids, action=SuggestionEvent.Action.SHOWN)
               .values_list("article_id", flat=True))
    new = [SuggestionEvent(contact=contact, article_id=i, agent=agent, action=SuggestionEvent.Action.SHOWN)
           for i in ids if i not in seen]
    SuggestionEvent.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def article_capture_from_contact(*, agent, contact: Contact, title: str, problem: str, solution: str,
                                 tags: Iterable[str] = ()):
    """A new article draft from a conversation, for the editors' queue. Precondition:
    ``check_can_capture_article(agent)``. ``support.selectors.capture_prefill`` gives the starting text."""
    from kb.flags import article_draft_capture

    return article_draft_capture(agent=agent, title=title, problem=problem, solution=solution, tags=tags,
                                 origin=f"captured from contact #{contact.pk} by agent {agent.username}")
