"""Mail writes, split by operation; import from here.

- ``messages``: ``message_send`` (render, check, count, queue), ``message_deliver`` and
  ``message_fail`` (the send task's steps).
- ``addresses``: confirm, suppress, unsubscribe.
- ``sweep``: ``messages_retry_due`` (the beat sweep) and ``message_retry``: deferred and
  rate-limited mail tried again once due.
- ``unsubscribe``: ``unsubscribe_apply`` and ``unsubscribe_undo`` (the one unsubscribe page),
  ``address_resubscribe``.
- ``confirmation``: ``address_confirmation_send``, the one mail an unconfirmed address may get.
"""
from mail.services.addresses import address_confirm, address_get_or_create, address_suppress, address_unsubscribe
from mail.services.confirmation import address_confirmation_send
from mail.services.messages import message_defer, message_deliver, message_fail, message_send
from mail.services.sweep import message_retry, messages_retry_due
from mail.services.unsubscribe import address_resubscribe, unsubscribe_apply, unsubscribe_undo

__all__ = [
    "address_confirm", "address_confirmation_send", "address_get_or_create", "address_suppress", "address_unsubscribe", "message_deliver",
    "message_defer", "message_fail", "message_retry", "message_send", "messages_retry_due", "address_resubscribe",
    "unsubscribe_apply", "unsubscribe_undo",
]
