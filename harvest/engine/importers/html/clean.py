"""Reduce a post's body element to what its author wrote.

Quoted replies would make every answer look like the question it quotes (bad for
clustering and search), signatures repeat on every post, and page chrome (buttons,
"last edited" notices, code-box headers) is not content. Active content is removed
here too, so a fixture or log never carries a live script; the store still runs
nh3 over the result, which is the real security boundary.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .presets import Preset

__all__ = ["clean_body", "strip_active_content"]

# "Bob wrote:", "Bob said:", "Quote from Bob:", "Originally Posted by Bob" headers.
_WROTE = re.compile(
    r"^\s*(?:.{1,80}?\s(?:wrote|said|says|writes)\s*:?|quote(?:\s+from)?\s*.{0,80}:|originally posted by\s.{1,80})\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ACTIVE_TAGS = (
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "form", "input", "button", "select", "textarea", "template", "link", "meta", "base", "svg",
)
_URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset")
_BAD_SCHEMES = re.compile(r"^\s*(?:javascript|vbscript|data(?!:image/(?:png|gif|jpe?g|webp);))\s*:", re.I)


def clean_body(body: Tag, *, preset: Preset) -> str:
    """Return the inner HTML of ``body`` without quotes, signatures, chrome or scripts.

    Precondition: ``body`` belongs to a soup nobody reads afterwards — it is
    modified in place (decomposing is much cheaper than copying huge posts).
    Structure (paragraphs, lists, ``pre``/``code``, links, images) is kept.
    """
    if preset.quote:
        for quote in _select_inside(body, preset.quote):
            _drop_wrote_header(quote)
            quote.decompose()
    for selector in (preset.signature, preset.chrome):
        if selector:
            for element in _select_inside(body, selector):
                element.decompose()
    strip_active_content(body)
    return body.decode_contents().strip()


def strip_active_content(root: Tag) -> None:
    """Remove scripts, frames, forms, styles, event handlers and ``javascript:`` URLs."""
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in root.find_all(_ACTIVE_TAGS):
        if not element.decomposed:
            element.decompose()
    for element in [root, *root.find_all(True)]:
        for attr in list(element.attrs):
            lowered = attr.lower()
            if lowered.startswith("on") or lowered in {"style", "srcdoc"}:
                del element.attrs[attr]
            elif lowered in _URL_ATTRS and _BAD_SCHEMES.match(str(element.attrs[attr])):
                del element.attrs[attr]


def _select_inside(body: Tag, selector: str) -> list[Tag]:
    """Matches strictly inside ``body``, outermost first (nested ones go with them).

    vBulletin's body *is* a ``blockquote``, so the body itself is never a match.
    """
    found = [el for el in body.select(selector) if el is not body]
    chosen: list[Tag] = []
    ids = set()
    for element in found:
        if any(id(parent) in ids for parent in element.parents):
            continue
        ids.add(id(element))
        chosen.append(element)
    return chosen


def _drop_wrote_header(quote: Tag) -> None:
    """Remove an attribution line written just before a quote ("Bob wrote:")."""
    sibling = quote.previous_sibling
    while isinstance(sibling, NavigableString) and not sibling.strip():
        sibling = sibling.previous_sibling
    if sibling is None:
        return
    text = sibling.get_text(" ") if isinstance(sibling, Tag) else str(sibling)
    if not text.strip() or not _WROTE.match(text):
        return
    if isinstance(sibling, Tag):
        if sibling.name not in {"pre", "code", "ul", "ol", "table"}:
            sibling.decompose()
    else:
        sibling.extract()


def parse_html(html: str) -> BeautifulSoup:
    """Parse forgivingly: lxml recovers from truncated and unclosed markup."""
    return BeautifulSoup(html, "lxml")
