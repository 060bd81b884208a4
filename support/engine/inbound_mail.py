"""Inbound mail, parsed with the standard library's ``email`` package (pure: bytes in, dataclasses out).

``parse_inbound(raw, ...)`` turns one raw MIME message into either

- a ``Reply``: a customer's answer to a contact, found by its signed reply address
  (``support.engine.reply_address``), with the quoted history and the signature cut off,
  an HTML-only body turned into text, and attachments kept up to the limits (the others
  listed as refused, with the reason); or, with ``contact_id`` None, a fresh mail to one of
  the support addresses (a new request), read the same way; or
- an ``Ignored``: a fresh mail to a support address that a machine sent (an auto-reply, a
  list or bulk mail, a mailer-daemon, our own address): answering it could start a loop; or
- a ``Feedback``: a bounce (a DSN, ``multipart/report; report-type=delivery-status``, with
  a permanent failure) or a complaint (an ARF report, ``report-type=feedback-report``),
  naming the addresses that must not be mailed again;

or raises ``InboundRefused`` with a code and a reason: too large, not a reply to any
contact nor to a support address, a forged reply address, no sender, nothing to read. Callers store and log; nothing here
touches a database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from support.engine.reply_address import contact_id_from, is_reply_address

# Headers where a gateway or the sender's client puts the address a mail was sent to.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc")


class InboundRefused(Exception):
    """The message cannot become a contact message; ``code`` for programs, the message for people."""

    def __init__(self, code: str, message: str, *, address: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.address = address


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 5
    max_attachment_bytes: int = 5 * 1024 * 1024


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class RefusedAttachment:
    filename: str
    size: int
    reason: str


@dataclass
class Reply:
    contact_id: int | None  # None: a fresh mail to a support address, not a reply to a contact
    to_address: str
    from_address: str
    from_name: str
    subject: str
    message_id: str
    text: str
    from_html: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    refused_attachments: list[RefusedAttachment] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # Message-IDs in In-Reply-To and References


@dataclass
class Ignored:
    reason: str
    from_address: str = ""


@dataclass
class Feedback:
    kind: str  # "bounce" or "complaint"
    addresses: list[str]
    detail: str
    original_message_id: str = ""


def _message(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def parse_inbound(raw: bytes, *, keys: list[bytes], reply_domain: str, limits: Limits = Limits(),
                  support_addresses: tuple[str, ...] = (), own_addresses: tuple[str, ...] = ()
                  ) -> Reply | Feedback | Ignored:
    """One raw MIME message as a ``Reply``, a ``Feedback`` or an ``Ignored``; ``InboundRefused``
    otherwise (see the module). ``support_addresses`` (lower case) take fresh mail; mail from
    ``own_addresses`` or the reply domain is ours coming back, never a new request."""
    if len(raw) > limits.max_bytes:
        raise InboundRefused("too_large", f"The message is {len(raw):,} bytes; the limit is {limits.max_bytes:,}.")
    if not raw.strip():
        raise InboundRefused("empty", "The message is empty.")
    message = _message(raw)
    if message.get_content_type() == "multipart/report":
        feedback = _feedback(message)
        if feedback is not None:
            return feedback
    to_address, contact_id = _recipient(message, keys=keys, reply_domain=reply_domain,
                                        support_addresses=support_addresses)
    name, address = parseaddr(str(message.get("From", "")))
    if contact_id is None:
        if not address or "@" not in address:
            raise InboundRefused("no_sender", "The message has no sender address to answer.", address=to_address)
        reason = automatic_reason(message, sender=address.strip().lower(), reply_domain=reply_domain,
                                  own_addresses=(*own_addresses, *support_addresses))
        if reason:
            return Ignored(reason, address.strip().lower())
    text, from_html = _body_text(message)
    attachments, refused = _attachments(message, limits)
    if not text and not attachments:
        raise InboundRefused("empty", "The reply has no text and no attachment.", address=to_address)
    return Reply(
        contact_id=contact_id, to_address=to_address, from_address=address.strip().lower(), from_name=name.strip(),
        subject=" ".join(str(message.get("Subject", "")).split()), message_id=str(message.get("Message-ID", "")).strip(),
        text=text, from_html=from_html, attachments=attachments, refused_attachments=refused,
        references=_references(message),
    )


def _references(message: Message) -> list[str]:
    """The Message-IDs the mail answers (``In-Reply-To`` and ``References``), in order, once each."""
    found = []
    for name in ("In-Reply-To", "References"):
        try:
            values = [str(value) for value in message.get_all(name, [])]
        except Exception:  # noqa: BLE001 - a malformed header the policy cannot even render
            continue
        found += re.findall(r"<[^<>\s]+>", " ".join(values))
    return list(dict.fromkeys(found))[:50]


# --- who it is for ----------------------------------------------------------------------------

def _header_addresses(message: Message, name: str) -> list[str]:
    try:
        values = [str(value) for value in message.get_all(name, [])]
    except Exception:  # noqa: BLE001 - a malformed header the policy cannot even render
        return []
    return [address for _, address in getaddresses(values) if address]


def _recipient(message: Message, *, keys: list[bytes], reply_domain: str,
               support_addresses: tuple[str, ...] = ()) -> tuple[str, int | None]:
    """The address it was sent to and the contact it answers; ``None`` for a fresh mail to a
    support address. A signed reply address wins over a support address in Cc; a forged one
    is refused even when a support address is also named (it may be an attempt to reach a contact)."""
    forged, support = "", ""
    for name in RECIPIENT_HEADERS:
        for address in _header_addresses(message, name):
            if address.lower() in support_addresses:
                support = support or address.lower()
                continue
            if not is_reply_address(address, domain=reply_domain):
                continue
            contact_id = contact_id_from(address, keys=keys, domain=reply_domain)
            if contact_id is not None:
                return address.lower(), contact_id
            forged = forged or address
    if forged:
        raise InboundRefused("forged_reply_address",
                             f"The reply address {forged} was not signed by us (altered or forged).", address=forged)
    if support:
        return support, None
    raise InboundRefused("unknown_recipient",
                         f"The message is not addressed to any contact's reply address (reply+…@{reply_domain})"
                         " nor to a support address.")


# --- mail a machine sent ---------------------------------------------------------------------------

_MACHINE_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}


def automatic_reason(message: Message, *, sender: str, reply_domain: str, own_addresses: tuple[str, ...]) -> str:
    """Why a fresh mail looks sent by a machine, not a person ("" when it does not): an
    auto-reply or an auto-generated mail (RFC 3834 ``Auto-Submitted``, the common
    ``X-Autoreply``/``X-Autorespond``), bulk or list mail (``Precedence``), a bounce's null
    ``Return-Path``, a mailer-daemon or no-reply sender, or one of our own addresses. Answering
    any of them (with a confirmation) could start a mail loop or mail someone who never wrote."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if message.get(header) is not None:
            return f"{header} header"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "null Return-Path (a bounce)"
    local, _, domain = sender.rpartition("@")
    if local in _MACHINE_SENDERS:
        return f"sent by {local}"
    if sender in own_addresses or domain == reply_domain:
        return "sent from our own address (a loop)"
    return ""


# --- the text ---------------------------------------------------------------------------------

# Where quoted history starts, by client. Everything from the first such line on is dropped.
_QUOTE_HEADERS = [
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.I),                 # Outlook, older clients
    re.compile(r"^_{10,}\s*$"),                                                  # Outlook's rule above From:/Sent:
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}\s*$", re.I),
    re.compile(r"^Le .{0,200} a écrit\s*:\s*$"),
    re.compile(r"^Am .{0,200} schrieb .{0,200}:\s*$"),
]
_GMAIL_START = re.compile(r"^On\b.{0,300}$")
_GMAIL_END = re.compile(r"wrote:\s*$")
_OUTLOOK_FROM = re.compile(r"^\*?From:\*?\s+\S")
_OUTLOOK_NEXT = re.compile(r"^\*?(Sent|Date|To|Subject):\*?\s")
_SIGNATURE = re.compile(r"^--\s*$")
_MOBILE = re.compile(r"^(Sent from my \w[\w ]{0,40}|Get Outlook for \w+)\s*$", re.I)


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in _QUOTE_HEADERS):
            return i
        # Gmail: "On Tue, 1 Dec 2026 at 10:02, Hearthlink Help <reply+…> wrote:", often wrapped.
        if _GMAIL_START.match(stripped):
            joined = " ".join(part.strip() for part in lines[i:i + 3])
            if _GMAIL_END.search(stripped) or re.match(r"^On\b.{0,400}?wrote:", joined):
                return i
        # Outlook without a rule: a "From:" line followed by "Sent:"/"Date:"/"To:"/"Subject:".
        if _OUTLOOK_FROM.match(stripped) and any(_OUTLOOK_NEXT.match(n.strip()) for n in lines[i + 1:i + 3]):
            return i
        if _SIGNATURE.match(line.rstrip("\r")) and line.startswith("--"):
            return i
    return None


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted history (Gmail, Outlook, ``>`` lines) and the signature
    (``-- ``, "Sent from my phone") cut off, blank lines at either end trimmed. When cutting
    would leave nothing, the whole text is kept rather than lose what the customer sent."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _quote_start(lines)
    kept = lines[:start] if start is not None else lines
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    while kept and (not kept[-1].strip() or _MOBILE.match(kept[-1].strip())):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    result = "\n".join(line.rstrip() for line in kept)
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result if result.strip() else text.strip()


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail, without the quoted history clients put in blockquotes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for node in soup(["script", "style", "head", "title"]):
        node.decompose()
    # Outlook on the web: the history starts at its reply header and runs to the end.
    for marker in soup.select("div#appendonsend, div#divRplyFwdMsg")[:1]:
        for node in list(marker.find_next_siblings()):
            node.decompose()
        marker.decompose()
    for node in soup.select("div.gmail_quote, blockquote.gmail_quote, blockquote[type=cite], div.moz-cite-prefix, "
                            "div.yahoo_quoted"):
        node.decompose()
    # Any other blockquote is history only when nothing follows it; one the writer put between
    # their own lines is theirs (an error message, a line of a manual) and stays.
    for node in soup.find_all("blockquote"):
        if not any(text.strip() for text in node.find_all_next(string=True) if node not in text.parents):
            node.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "tr", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.insert_before("\n")
        block.insert_after("\n")
    text = soup.get_text()
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded(part: Message) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError, AttributeError):  # an unknown or wrong charset
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _body_text(message: EmailMessage) -> tuple[str, bool]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", False
    if body.get_content_type() == "text/html":
        return strip_reply(html_to_text(_decoded(body))), True
    return strip_reply(_decoded(body)), False


# --- attachments --------------------------------------------------------------------------------

def _attachments(message: EmailMessage, limits: Limits) -> tuple[list[Attachment], list[RefusedAttachment]]:
    kept: list[Attachment] = []
    refused: list[RefusedAttachment] = []
    body = message.get_body(preferencelist=("plain", "html"))
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue
        content = part.get_payload(decode=True) or b""
        name = _safe_filename(filename or "attachment")
        if len(kept) >= limits.max_attachments:
            refused.append(RefusedAttachment(name, len(content), f"more than {limits.max_attachments} attachments"))
        elif len(content) > limits.max_attachment_bytes:
            refused.append(RefusedAttachment(name, len(content),
                                             f"larger than {limits.max_attachment_bytes:,} bytes"))
        else:
            kept.append(Attachment(name, part.get_content_type(), content))
    return kept, refused


def _safe_filename(name: str) -> str:
    """A file name without folders or control characters (it came from a stranger)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:150] or "attachment"


# --- bounces and complaints -----------------------------------------------------------------------

def _original_headers(report: Message) -> Message | None:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) and inner else None
        if kind == "text/rfc822-headers":
            return HeaderParser(policy=policy.default).parsestr(_decoded(part))
    return None


def _field_blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` or ``message/feedback-report`` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    text = payload if isinstance(payload, str) else _decoded(part)
    return [HeaderParser(policy=policy.compat32).parsestr(block) for block in re.split(r"\r?\n\s*\r?\n", text)
            if block.strip()]


def _typed_address(value: str) -> str:
    """``rfc822; riley@example.com`` -> ``riley@example.com``."""
    value = str(value or "")
    return parseaddr(value.split(";", 1)[1] if ";" in value else value)[1].strip().lower()


def _feedback(message: EmailMessage) -> Feedback | None:
    report_type = (message.get_param("report-type") or "").lower()
    original = _original_headers(message)
    original_id = str(original.get("Message-ID", "")).strip() if original is not None else ""
    if report_type == "delivery-status":
        addresses, details = [], []
        for part in message.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            for block in _field_blocks(part)[1:] or _field_blocks(part):
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                recipient = _typed_address(block.get("Final-Recipient") or block.get("Original-Recipient"))
                # Only a permanent failure stops mail; a delay or a 4.x.x may still be delivered.
                if recipient and action == "failed" and status.startswith("5"):
                    addresses.append(recipient)
                    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
                    details.append(f"{recipient}: {status} {diagnostic}".strip())
        if not addresses:
            return None
        return Feedback("bounce", addresses, "\n".join(details), original_id)
    if report_type == "feedback-report":
        addresses, detail = [], ""
        for part in message.walk():
            if part.get_content_type() != "message/feedback-report":
                continue
            for block in _field_blocks(part):
                for value in block.get_all("Original-Rcpt-To", []) or []:
                    addresses.append(_typed_address(value))
                detail = detail or f"feedback type: {str(block.get('Feedback-Type', 'abuse')).strip()}"
        if not addresses and original is not None:
            addresses = [address.lower() for _, address in getaddresses([str(original.get("To", ""))]) if address]
        addresses = [a for a in addresses if a]
        if not addresses:
            return None
        return Feedback("complaint", addresses, detail or "feedback type: abuse", original_id)
    return None
