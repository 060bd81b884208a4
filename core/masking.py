"""Mask e-mail addresses and phone numbers in text that may be shown to others.

Harvested posts are masked before they are stored; drafts captured from a support
conversation are masked before an editor sees them (a draft may be published).
"""
from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Phone numbers: +country or local formats with at least 8 digits in groups; not dates, IPs or versions.
PHONE = re.compile(r"(?<![\w.:/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4}(?![\w.:/-])")
# A cheap necessary condition for PHONE (three digit groups in a row): most posts have
# none, and the full pattern with its look-arounds is what costs.
_PHONE_HINT = re.compile(r"\d\d[\s.-]\d\d(?:\d\d?)?[\s.-]\d\d")
_DIGITS = re.compile(r"\d")


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    return "[phone hidden]" if len(_DIGITS.findall(text)) >= 8 else text


def mask_contacts(text: str) -> str:
    """``text`` with e-mail addresses as ``[email hidden]`` and phone numbers as ``[phone hidden]``."""
    if "@" in text:
        text = EMAIL.sub("[email hidden]", text)
    if _PHONE_HINT.search(text):
        text = PHONE.sub(_mask_phone, text)
    return text
