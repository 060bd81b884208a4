"""Signed reply addresses for contacts: ``reply+<id>-<signature>@<reply domain>`` (pure, no Django).

Each contact's replies come back to an address of its own, so an inbound mail names its
contact by where it was sent, never by anything its sender wrote. The signature is an
HMAC-SHA256 of the contact id under a key the caller derives from ``SECRET_KEY``, so
nobody can write into another contact by guessing its number.

The token is lower-case base32 (26 characters, 130 bits) rather than
``django.core.signing``'s base64: mail systems may change the case of a local part, and
a local part holds at most 64 characters.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

PREFIX = "reply+"
SIGNATURE_LENGTH = 26
_TOKEN = re.compile(r"^([0-9]{1,18})-([a-z2-7]{%d})$" % SIGNATURE_LENGTH)


def _signature(contact_id: int, key: bytes) -> str:
    digest = hmac.new(key, f"contact:{contact_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:SIGNATURE_LENGTH]


def reply_address(contact_id: int, *, key: bytes, domain: str) -> str:
    """The address the customer's replies to contact ``contact_id`` go to."""
    return f"{PREFIX}{contact_id}-{_signature(contact_id, key)}@{domain}"


def is_reply_address(address: str, *, domain: str) -> bool:
    """True for any ``reply+…@domain`` address, signed correctly or not."""
    local, _, host = address.strip().lower().rpartition("@")
    return host == domain.lower() and local.startswith(PREFIX)


def contact_id_from(address: str, *, keys: list[bytes], domain: str) -> int | None:
    """The contact id a reply address was signed for, under any of ``keys`` (the current key
    first, then older ones while they are rotated out); None when it is not one of ours or
    its signature does not match."""
    if not is_reply_address(address, domain=domain):
        return None
    token = address.strip().lower().rpartition("@")[0][len(PREFIX):]
    match = _TOKEN.match(token)
    if not match:
        return None
    contact_id = int(match.group(1))
    for key in keys:
        if hmac.compare_digest(_signature(contact_id, key), match.group(2)):
            return contact_id
    return None
