"""Markdown and outside HTML to safe HTML. Rendering never rewrites stored text."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul", "mark",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML typed by users is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles, iframes and unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
        strip_comments=True,
    )


_IMG = re.compile(r"<img\b([^>]*)>")
_ATTR = re.compile(r'([a-z]+)="([^"]*)"')


def _image_as_link(match: re.Match) -> str:
    attrs = dict(_ATTR.findall(match.group(1)))
    src = attrs.get("src", "")
    if src.startswith("/") and not src.startswith("//"):
        return match.group(0)  # an image on this site
    if not src:
        return ""
    label = attrs.get("alt") or attrs.get("title") or urlsplit(src).hostname or "image"
    return f'<a class="remote-image" href="{src}" rel="nofollow noopener ugc">Image: {label}</a>'


def remote_images_as_links(html: str) -> str:
    """Sanitized ``html`` with images from other sites turned into links to them (unless
    ``SHOW_REMOTE_IMAGES``): showing one would tell that site who reads the post, and when.

    Works on nh3's output, whose attributes are always double-quoted and escaped.
    """
    if settings.SHOW_REMOTE_IMAGES or "<img" not in html:
        return html
    return _IMG.sub(_image_as_link, html)


def render_markdown(text: str) -> str:
    return remote_images_as_links(sanitize_html(_markdown().render(text or "")))


def render_body(body: str, body_format: str) -> str:
    if body_format == "html":
        return remote_images_as_links(sanitize_html(body))
    return render_markdown(body)


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()
