"""Mail writes, split by operation; import from here.

- ``messages``: ``message_send`` (render, check, count, queue), ``message_deliver`` and
  ``message_fail`` (the send task's steps).
- ``addresses``: confirm, suppress, unsubscribe.
- ``confirmation``: ``address_confirmation_send``, the one mail an unconfirmed address may get.
"""
from mail.services.addresses import address_confirm, address_get_or_create, address_suppress, address_unsubscribe
from mail.services.confirmation import address_confirmation_send
from mail.services.messages import message_deliver, message_fail, message_send

__all__ = [
    "address_confirm", "address_confirmation_send", "address_get_or_create", "address_suppress", "address_unsubscribe", "message_deliver",
    "message_fail", "message_send",
]
