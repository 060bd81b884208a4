"""Forum-software presets: which CSS selectors find threads, posts and their parts.

A :class:`Preset` is plain data, so a new forum needs no code: either one of the
built-ins (``PRESETS``) or :func:`preset_from_dict` over selectors an admin typed in.
Selectors are CSS as understood by soupsieve (BeautifulSoup's ``select``), so
``:has()``, ``:not()``, ``:first-of-type`` and attribute substrings are available.

Selector roles (all evaluated *inside* the element named in brackets):

* ``thread_list`` [page] rows of a forum's thread list; ``thread_link`` [row] the
  ``a`` to the thread; ``next_page`` [page] the link (``a`` or ``link``) to the next
  page of a thread list *or* of a long thread.
* ``post`` [page] one post container; ``author``, ``date``, ``edited_date``,
  ``body``, ``score`` [post]; ``accepted`` matches the post itself or something in it.
* ``title`` and ``tags`` [page].
* ``quote``, ``signature``, ``chrome`` [body] blocks removed from the body HTML.

Dates are read from ``date_attr`` when the element has it (``datetime``, ``title``,
``data-time``), else from the element's text, then tried against ``date_formats``
(``strptime`` patterns, or ``"unix"`` for epoch seconds), then ISO 8601.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

__all__ = ["Preset", "PresetError", "PRESETS", "get_preset", "preset_from_dict"]


class PresetError(ValueError):
    """A preset name or a user-supplied selector dict is unusable."""


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    post: str
    body: str
    thread_list: str = ""
    thread_link: str = "a"
    author: str = ""
    date: str = ""
    date_attr: str = ""
    date_formats: tuple[str, ...] = ()
    edited_date: str = ""
    accepted: str = ""
    score: str = ""
    next_page: str = ""
    title: str = ""
    tags: str = ""
    quote: str = ""
    signature: str = ""
    chrome: str = ""
    # Attributes of the post element holding its id (digits are extracted).
    post_id_attrs: tuple[str, ...] = ("id",)
    # Regex with one group: the thread's id in its URL.
    thread_id_pattern: str = ""
    # Session query parameters that make one thread look like many URLs.
    drop_params: tuple[str, ...] = ()


# Keys a user may set in a generic preset, and the ones without which nothing parses.
_REQUIRED = ("post", "body")
_TUPLE_KEYS = {"date_formats", "post_id_attrs", "drop_params"}
_KNOWN = {f.name for f in fields(Preset)} - {"name"}


PHPBB = Preset(
    name="phpbb",
    thread_list="ul.topiclist.topics > li.row",
    thread_link="a.topictitle",
    post="div.post[id^=p]",
    author="p.author a.username, p.author a.username-coloured, dl.postprofile a.username",
    date="p.author time",
    date_attr="datetime",
    # phpBB 3.0 has no <time>; the date is the text after "»" in p.author.
    date_formats=("%a %b %d, %Y %I:%M %p",),
    body="div.postbody div.content",
    next_page="div.pagination li.next > a, div.pagination a[rel=next]",
    title="h2.topic-title, h2 > a[href*='viewtopic.php']",
    quote="blockquote",
    signature="div.signature",
    chrome="div.codebox > p, div.notice, div.inline-attachment dl.file dd",
    thread_id_pattern=r"[?&]t=(\d+)",
    drop_params=("sid",),
)

VBULLETIN = Preset(
    name="vbulletin",
    # vBulletin 4 (li.threadbit / li.postcontainer) and vBulletin 5 (b-* classes).
    thread_list="ol#threads > li.threadbit, li.topic-item",
    thread_link="a.title, a.topic-title",
    post="ol#posts > li.postcontainer, li.b-post.js-post",
    author="div.username_container .username strong, div.username_container a.username, "
    ".b-post__author-name, .author a[itemprop=url]",
    date="span.postdate span.date, time[itemprop=dateCreated]",
    date_attr="datetime",
    date_formats=("%m-%d-%Y, %I:%M %p", "%m-%d-%Y %I:%M %p", "%d %b %Y, %I:%M %p"),
    body="div.content blockquote.postcontent, div.js-post__content-text",
    next_page="a[rel=next], link[rel=next]",
    title="span.threadtitle, h1.main-title, div.postrow h2.title",
    quote="div.bbcode_container:has(div.bbcode_quote), div.bbcode_quote",
    signature="div.signaturecontainer, blockquote.signature, div.b-post__signature",
    chrome="div.bbcode_description, div.lastedited, div.attachments",
    post_id_attrs=("id", "data-node-id"),
    thread_id_pattern=r"(?:[?&]t=|showthread\.php[?/]|/threads/)(\d+)",
    drop_params=("s",),
)

XENFORO = Preset(
    name="xenforo",
    thread_list="div.structItem--thread",
    thread_link="div.structItem-title a[href*='/threads/']",
    post="article.message--post",
    author="h4.message-name .username, [itemprop=author] [itemprop=name]",
    date="header.message-attribution time.u-dt",
    date_attr="datetime",
    date_formats=("%Y-%m-%dT%H:%M:%S%z",),
    body="article.message-body div.bbWrapper",
    accepted=".message--solution, .is-solution",
    next_page="link[rel=next], a.pageNav-jump--next",
    title="h1.p-title-value",
    quote="blockquote.bbCodeBlock--quote, div.bbCodeBlock--quote",
    signature="aside.message-signature",
    chrome="div.js-selectToQuoteEnd, div.message-lastEdit, .bbCodeBlock-expandLink, "
    ".bbCodeBlock--code > .bbCodeBlock-title",
    post_id_attrs=("data-content", "id"),
    thread_id_pattern=r"/threads/(?:[^/?#]*\.)?(\d+)(?:/|$|\?)",
)

ASKBOT = Preset(
    name="askbot",
    thread_list="div.short-summary, div#question-list > div.question-summary",
    thread_link="h2 a, a.question-title",
    post="div.post.js-question, div.post.answer",
    # The first post-update-info is "asked"/"answered"; the second one is the editor's.
    author="div.post-update-info:first-of-type .user-info > a, "
    "div.post-update-info:first-of-type > p:not(:has(abbr)):not(.tip)",
    date="div.post-update-info:first-of-type abbr.timeago",
    edited_date="div.post-update-info:nth-of-type(2) abbr.timeago",
    date_attr="title",
    date_formats=("%Y-%m-%d %H:%M:%S %z",),
    body="div.post-body",
    accepted=".accepted-answer",
    score="div.vote-number",
    # Askbot keeps a hidden "next" link (page=None) on the last page.
    next_page="div.paginator span.next:not([style*='display: none']) > a",
    title="div.js-question h1 > a, #question-title, h1",
    tags="#question-tags .js-tag-name, ul.post-tags a[rel=tag]",
    chrome="div.post-update-info-container, span.expander",
    post_id_attrs=("data-post-id", "id"),
    thread_id_pattern=r"/questions?/(\d+)(?:/|$|\?)",
)

DISCOURSE_CRAWLER = Preset(
    name="discourse_crawler",
    thread_list="table.topic-list tr.topic-list-item, div.topic-list-item",
    thread_link="a.raw-topic-link, a.title",
    # The crawler view wraps its "next page" link in a div.topic-body.crawler-post too.
    post="div.topic-body.crawler-post:not([role=navigation])",
    author="span[itemprop=author] [itemprop=name], .creator [itemprop=name], "
    "span[itemprop=author], .creator a",
    date="time[itemprop=datePublished]",
    date_attr="datetime",
    edited_date="meta[itemprop=dateModified]",
    accepted="[itemprop=acceptedAnswer], .accepted-answer",
    body="div.post[itemprop=text], div.post[itemprop=articleBody], div.post",
    next_page="link[rel=next], a[rel=next]",
    title="#topic-title h1, h1",
    tags="div.discourse-tags a.discourse-tag",
    quote="aside.quote",
    chrome="div.cooked-selection-barrier, a.lightbox div.meta",
    post_id_attrs=("id",),
    thread_id_pattern=r"/t/(?:[^/?#]+/)?(\d+)(?:/|$|\?)",
)

PRESETS: dict[str, Preset] = {
    p.name: p for p in (PHPBB, VBULLETIN, XENFORO, ASKBOT, DISCOURSE_CRAWLER)
}


def get_preset(name: str | Preset) -> Preset:
    """Return the built-in preset ``name`` (a Preset passes through)."""
    if isinstance(name, Preset):
        return name
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise PresetError(f"unknown preset {name!r}; known presets: {known}, or 'generic'") from None


def preset_from_dict(selectors: dict, *, name: str = "generic") -> Preset:
    """Build a ``generic`` preset from user-supplied selectors, validating them.

    ``selectors`` maps :class:`Preset` field names to CSS selector strings (lists
    for ``date_formats``, ``post_id_attrs``, ``drop_params``; a regex string for
    ``thread_id_pattern``). ``post`` and ``body`` are required. Unknown keys,
    empty or malformed selectors and bad regexes raise :class:`PresetError`.
    """
    if not isinstance(selectors, dict):
        raise PresetError("generic preset: selectors must be a dict of name -> CSS selector")
    unknown = sorted(set(selectors) - _KNOWN)
    if unknown:
        raise PresetError(
            f"generic preset: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KNOWN))}"
        )
    missing = [key for key in _REQUIRED if not str(selectors.get(key) or "").strip()]
    if missing:
        raise PresetError(f"generic preset: missing required selector(s): {', '.join(missing)}")
    values: dict = {}
    for key, value in selectors.items():
        if key in _TUPLE_KEYS:
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise PresetError(f"generic preset: {key} must be a list of strings")
            values[key] = tuple(value)
        elif not isinstance(value, str):
            raise PresetError(f"generic preset: {key} must be a string, got {type(value).__name__}")
        else:
            values[key] = value.strip()
    preset = Preset(name=name, **values)
    _check_compiles(preset)
    return preset


def _check_compiles(preset: Preset) -> None:
    # Imported here: only custom presets are checked, and BeautifulSoup loads soupsieve lazily too.
    import soupsieve

    for f in fields(Preset):
        if f.name in _TUPLE_KEYS or f.name in {"name", "date_attr", "thread_id_pattern"}:
            continue
        selector = getattr(preset, f.name)
        if not selector:
            continue
        try:
            soupsieve.compile(selector)
        except (soupsieve.SelectorSyntaxError, ValueError) as exc:
            raise PresetError(f"generic preset: {f.name} selector {selector!r} is not valid CSS: {exc}") from None
    if preset.thread_id_pattern:
        try:
            pattern = re.compile(preset.thread_id_pattern)
        except re.error as exc:
            raise PresetError(f"generic preset: thread_id_pattern is not a valid regex: {exc}") from None
        if pattern.groups < 1:
            raise PresetError("generic preset: thread_id_pattern needs one capturing group (the id)")
