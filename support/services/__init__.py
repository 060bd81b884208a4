"""Support writes, split by operation; import from here.

- ``contacts``: open a contact (and who its customer is), messages, assignment, status.
- ``suggestions``: what agents did with suggested articles (shown, inserted, linked, dismissed).
- ``articles``: flags and drafts sent to the knowledge base from a contact.
- ``deflection``: articles the contact form suggested that visitors opened, and whether they sent anyway.
- ``email``: contacts by e-mail, outgoing (the address confirmation, agents' replies, held replies).
- ``inbound``: contacts by e-mail, inbound (replies, bounces and complaints from the gateway).
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
from support.services.email import (
    contact_confirmation_send,
    contact_replies_send_held,
    contact_reply_address,
    contact_reply_send,
)
from support.services.inbound import InboundOutcome, InboundRefused, inbound_mail_receive
from support.services.suggestions import (
    contact_link_article,
    suggestion_dismiss,
    suggestion_insert,
    suggestion_record,
    suggestions_record_shown,
)

__all__ = [
    "InboundOutcome", "InboundRefused", "contact_confirmation_send", "contact_replies_send_held",
    "contact_reply_address", "contact_reply_send", "inbound_mail_receive",
    "article_capture_from_contact", "article_flag", "contact_assign", "contact_create", "contact_link_article",
    "contact_suggestion_open_record", "contact_suggestion_opens_settle",
    "contact_set_status", "customer_for_email", "message_append", "suggestion_dismiss", "suggestion_insert",
    "suggestion_record", "suggestions_record_shown",
]
