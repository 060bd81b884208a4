"""Signals other apps subscribe to, with primary keys only.

Sent inside the service's transaction; receivers queue their work on commit.
"""
from django.dispatch import Signal

# A contact was opened with its first message. kwargs: contact_id: int, actor_id: int | None
contact_created = Signal()

# A message was added to a contact (by the customer, an agent or the system).
# kwargs: message_id: int, actor_id: int | None, by: "customer" | "agent" | "system"
# (``ContactMessage.Sender``)
contact_message_created = Signal()
