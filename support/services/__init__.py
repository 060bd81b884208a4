"""Support writes, split by operation; import from here.

- ``contacts``: open a contact (and who its customer is), messages, assignment, status.
- ``suggestions``: what agents did with suggested articles (shown, inserted, linked, dismissed).
- ``articles``: flags and drafts sent to the knowledge base from a contact.
- ``deflection``: articles the contact form suggested that visitors opened, and whether they sent anyway.
"""
from support.services.articles import article_capture_from_contact, article_flag
from support.services.contacts import (
    contact_assign,
    contact_create,
    contact_set_status,
    customer_for_email,
    message_append,
)
from support.services.deflection import contact_suggestion_open_record, contact_suggestion_opens_settle
from support.services.suggestions import (
    contact_link_article,
    suggestion_dismiss,
    suggestion_insert,
    suggestion_record,
    suggestions_record_shown,
)

__all__ = [
    "article_capture_from_contact", "article_flag", "contact_assign", "contact_create", "contact_link_article",
    "contact_suggestion_open_record", "contact_suggestion_opens_settle",
    "contact_set_status", "customer_for_email", "message_append", "suggestion_dismiss", "suggestion_insert",
    "suggestion_record", "suggestions_record_shown",
]
