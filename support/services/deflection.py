"""Contact-form deflection: articles the form suggested that a visitor opened, and whether they sent anyway."""
from __future__ import annotations

from django.db import transaction

from core import help_context
from support.models import Contact, ContactSuggestionOpen


def contact_suggestion_open_record(*, article, session, user=None) -> ContactSuggestionOpen:
    """Record that this visit opened ``article`` from the contact form's suggestions.

    Precondition: the visitor may read ``article`` (the view checks). Opening the same article again in
    the same visit, before sending, is the same open.
    """
    key = help_context.session_key_ensure(session)
    member = user if user is not None and user.is_authenticated else None
    opened, _ = ContactSuggestionOpen.objects.get_or_create(
        article=article, session_key=key, contact=None, defaults={"user": member})
    return opened


@transaction.atomic
def contact_suggestion_opens_settle(*, session, contact: Contact) -> int:
    """The visit sent ``contact``: the suggestions it opened did not deflect it. Returns how many."""
    if not session.session_key:
        return 0
    return ContactSuggestionOpen.objects.filter(session_key=session.session_key, contact__isnull=True).update(
        contact=contact)
