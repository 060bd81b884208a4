"""E-mail address handling shared by the mail app's services and selectors (pure, no ORM)."""
from __future__ import annotations

from email.headerregistry import Address
from email.errors import HeaderParseError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.errors import ServiceError


MAX_LENGTH = 254


def normalize(address: str) -> str:
    """``" Riley@Example.COM "`` -> ``"riley@example.com"``.

    Local parts are case-sensitive by the letter of RFC 5321 but no mailbox provider treats
    them so, and one row per person matters more here (a confirmation given as ``Riley@``
    must count for ``riley@``). Raises ``ServiceError`` for something that is not an address,
    or is longer than the 254 characters a mail path (RFC 5321) and an address column hold.
    """
    value = (address or "").strip()
    try:
        if len(value) > MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError:
        raise ServiceError(f"{value!r} is not an e-mail address.", code="invalid_email", field="to") from None
    return value.lower()


def formatted(address: str, name: str = "") -> str:
    """``Name <address>`` for a header, quoting the name as RFC 5322 needs."""
    if not name:
        return address
    try:
        username, domain = address.rsplit("@", 1)
        return str(Address(display_name=name, username=username, domain=domain))
    except (ValueError, HeaderParseError):
        return address
