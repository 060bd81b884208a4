"""Mask e-mail addresses and phone numbers in text that may be shown to others.

Harvested posts are masked before they are stored; drafts captured from a support
conversation are masked before an editor sees them (a draft may be published).

Phone numbers are found by Google's libphonenumber (the ``phonenumbers`` package):
a number written with its country code (+44 20 7946 0958), or one that is a valid
number of the site's region (``PHONE_DEFAULT_REGION``) as people there write it.
A number written as one bare run of digits, or a shorter local number, is masked only
when the text says it is one ("call 4444 5555", "phone: 4155552671"). Dates are never masked, whatever digits and separators they
use ("2017-10-28", "29.09.2014", "10/28/2017"), and neither are numbers inside an
address or a longer token (URLs, versions, IP addresses).
"""
from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from phonenumbers import Leniency, PhoneNumberMatcher

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
PHONE_HIDDEN = "[phone hidden]"
# A cheap necessary condition for any phone number (seven digits with at most separators
# between them): most posts have none, and the matcher is what costs.
_PHONE_HINT = re.compile(r"\d(?:[\s().+/-]{0,3}\d){6}")
# "call 4444 5555", "phone: (02) 9876 5432", "tel. 0412 345 678", "text me on 555 0100".
_CUED = re.compile(
    r"\b(?:call|phone|tel|telephone|ring|text|sms|whatsapp|mobile|cell|fax)\b\.?"
    r"(?:\s*(?:me|us|him|her|them|on|at|number|no\.?|:|#)){0,3}\s*"
    r"(?P<number>\+?\(?\d[\d\s().-]{4,20}\d)(?![\w.:/-]\w)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"^\(?(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{4}\s*[-–]\s*\d{4})\)?$"
)
_DIGITS = re.compile(r"\d")
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL | re.IGNORECASE)
# A number glued to these is part of something else: a URL, a path, a version, an IP address.
_GLUED_BEFORE = set("/:=&?#%@_.\\-")
_GLUED_AFTER = set("/_@")


def _is_date(text: str) -> bool:
    return _DATE.match(text.strip()) is not None


def _region(region: str | None) -> str:
    return (region or settings.PHONE_DEFAULT_REGION).upper()


def _glued(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() or before in _GLUED_BEFORE or after.isalnum() or after in _GLUED_AFTER:
        return True
    # "1.2.3.4": a dot or colon followed by more digits continues the token.
    return after in ".:" and end + 1 < len(text) and text[end + 1].isdigit()


def phone_spans(text: str, region: str | None = None) -> list[tuple[int, int]]:
    """Where ``text`` holds phone numbers, as (start, end) spans in order, without overlaps."""
    if not _PHONE_HINT.search(text):
        return []
    spans: list[tuple[int, int]] = []
    for match in PhoneNumberMatcher(text, _region(region), leniency=Leniency.VALID):
        raw = match.raw_string
        # A bare run of digits is an id, a seed, a size or a count far more often than a phone
        # number; without a "+" or a separator it needs a cue ("call …"), below.
        written_as_phone = raw.startswith("+") or not raw.isdigit()
        if written_as_phone and not _is_date(raw) and not _glued(text, match.start, match.end):
            spans.append((match.start, match.end))
    for match in _CUED.finditer(text):
        start, end = match.span("number")
        number = match.group("number").rstrip(" .-(")
        end = start + len(number)
        digits = len(_DIGITS.findall(number))
        if 7 <= digits <= 15 and not _is_date(number) and not _glued(text, start, end):
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mask_phones_in(text: str, region: str | None) -> str:
    for start, end in reversed(phone_spans(text, region)):
        text = text[:start] + PHONE_HIDDEN + text[end:]
    return text


def mask_phones(text: str, region: str | None = None) -> str:
    """``text`` with phone numbers as ``[phone hidden]``, leaving code alone.

    In ``<pre>`` and ``<code>`` digits are sizes, slots, seeds and hashes, not phone numbers (on
    the Cardano dump every number masked in code was one of those), and code blocks are where
    a scan costs most.
    """
    if "<pre" not in text and "<code" not in text:
        return _mask_phones_in(text, region)
    parts = _CODE.split(text)
    return "".join(part if i % 2 else _mask_phones_in(part, region) for i, part in enumerate(parts))


def mask_contacts(text: str, *, region: str | None = None) -> str:
    """``text`` with e-mail addresses as ``[email hidden]`` and phone numbers as ``[phone hidden]``.

    ``region`` (two letters, e.g. ``GB``) says how local numbers are written; by default
    ``PHONE_DEFAULT_REGION``.
    """
    if "@" in text:
        text = EMAIL.sub("[email hidden]", text)
    return mask_phones(text, region)


def is_region(code: str) -> bool:
    """True for a region libphonenumber knows (``GB``, ``US``, ``DE``…)."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


NAME_HIDDEN = "[name]"


def mask_names(text: str, name: str) -> str:
    """``text`` with each word of the person's ``name`` ("Jordan P." → Jordan) of two letters or more replaced,
    as a whole word, by ``[name]``: an agent's "Thanks Jordan," must not reach a published article."""
    words = sorted({w for w in re.findall(r"[^\W\d_]{2,}", name or "")}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.IGNORECASE)
    return pattern.sub(NAME_HIDDEN, text)

