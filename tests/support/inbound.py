"""Team-written MIME fixtures (``fixtures/mail/``), readdressed to a real contact for tests past the parser."""
from __future__ import annotations

from pathlib import Path

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
FIXTURE_KEY = b"gleaner-fixtures"
FIXTURE_ADDRESS = "reply+42-lp5fywpiviicqeumjjmzbxvlxb@reply.localhost"


def fixture_mail(name: str, contact=None, *, original_message_id: str = "") -> bytes:
    """The fixture's bytes; with ``contact``, sent to that contact's signed reply address; with
    ``original_message_id``, a bounce or complaint quoting that Message-ID."""
    raw = (MAIL / name).read_bytes()
    if contact is not None:
        from support.services import contact_reply_address

        raw = raw.replace(FIXTURE_ADDRESS.encode(), contact_reply_address(contact).encode())
    if original_message_id:
        raw = raw.replace(b"<ORIGINAL-MESSAGE-ID>", original_message_id.encode())
    return raw
