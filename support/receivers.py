"""Signals from lower apps that support acts on.

``mail.signals.address_confirmed``: a customer confirmed their address, so the agents'
replies held for it go out now.
"""
from __future__ import annotations

from support.services.email import contact_replies_send_held


def send_held_replies(sender, address: str, **kwargs) -> None:
    contact_replies_send_held(address=address)
