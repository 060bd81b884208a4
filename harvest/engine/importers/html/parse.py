"""Pure parsing of forum HTML pages into ``harvest.engine.records`` (no network, no ORM).

``parse_thread_list`` reads one page of a forum's thread list,
``parse_thread_page`` one page of a thread, and ``merge_pages`` joins the pages of
a long thread into one complete ``ThreadRecord``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import Tag

from harvest.engine.records import PostRecord, ThreadRecord

from .clean import clean_body, parse_html
from .presets import Preset, get_preset

__all__ = [
    "ParseError",
    "ThreadListPage",
    "ThreadPage",
    "parse_thread_list",
    "parse_thread_page",
    "merge_pages",
    "thread_external_id",
    "canonical_url",
]


class ParseError(ValueError):
    """The page does not look like the preset expects (wrong preset, error page, …)."""


@dataclass(frozen=True, slots=True)
class ThreadListPage:
    thread_urls: list[str]
    next_url: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    title: str
    posts: list[PostRecord]
    next_url: str | None = None
    url: str = ""
    external_id: str = ""
    tags: tuple[str, ...] = field(default=())


def canonical_url(url: str, *, preset: Preset | str | None = None) -> str:
    """``url`` without fragment and without the preset's session parameters."""
    parts = urlsplit(url)
    query = parts.query
    drop = get_preset(preset).drop_params if preset is not None else ()
    if drop and query:
        query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in drop])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def thread_external_id(url: str, *, preset: Preset | str | None) -> str:
    """The thread's id from its URL by the preset's regex, else a stable URL hash.

    The hash fallback ignores the query string, so page 2 (``?page=2``) of a thread
    hashes like page 1.
    """
    preset = get_preset(preset) if preset is not None else None
    clean = canonical_url(url, preset=preset)
    if preset is not None and preset.thread_id_pattern:
        match = re.search(preset.thread_id_pattern, clean)
        if match:
            return match.group(1)
    parts = urlsplit(clean)
    base = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))
    return "url-" + hashlib.sha1(base.encode("utf-8")).hexdigest()[:16]


def parse_thread_list(html: str, *, url: str, preset: Preset | str) -> ThreadListPage:
    """Thread URLs (absolute, de-duplicated, in page order) and the next list page.

    Raises ParseError when no row matches ``preset.thread_list``.
    """
    preset = get_preset(preset)
    if not preset.thread_list:
        raise ParseError(f"preset {preset.name!r} has no thread_list selector; cannot read {url}")
    soup = parse_html(html)
    rows = soup.select(preset.thread_list)
    if not rows:
        raise ParseError(f"no thread rows matched selector {preset.thread_list!r} on {url}")
    seen: set[str] = set()
    urls: list[str] = []
    for row in rows:
        link = row if _is_link(row) else row.select_one(preset.thread_link)
        href = _href(link)
        if not href:
            continue
        absolute = canonical_url(urljoin(url, href), preset=preset)
        if absolute not in seen:
            seen.add(absolute)
            urls.append(absolute)
    if not urls:
        raise ParseError(f"no thread links matched selector {preset.thread_link!r} in the rows on {url}")
    return ThreadListPage(thread_urls=urls, next_url=_next_url(soup, url=url, preset=preset))


def parse_thread_page(html: str, *, url: str, preset: Preset | str) -> ThreadPage:
    """One page of a thread: title, posts (in page order) and the next page's URL.

    Post ids come from the post element's id attributes (``p123`` -> ``123``);
    without one, from a hash of author, date and text, which stays stable when
    earlier posts are deleted (a position would not). Raises ParseError when no
    element matches ``preset.post`` or a post has no body element.
    """
    preset = get_preset(preset)
    soup = parse_html(html)
    elements = _outermost(soup.select(preset.post))
    if not elements:
        raise ParseError(f"no posts matched selector {preset.post!r} on {url}")
    title = _text(soup.select_one(preset.title)) if preset.title else ""
    if not title and soup.title:
        title = _text(soup.title)
    tags = tuple(dict.fromkeys(_text(t) for t in soup.select(preset.tags) if _text(t))) if preset.tags else ()
    page_url = canonical_url(url, preset=preset)
    posts = [_parse_post(el, url=page_url, preset=preset) for el in elements]
    return ThreadPage(
        title=title,
        posts=posts,
        next_url=_next_url(soup, url=url, preset=preset),
        url=page_url,
        external_id=thread_external_id(url, preset=preset),
        tags=tags,
    )


def merge_pages(pages: list[ThreadPage], *, license: str = "", complete: bool = True) -> ThreadRecord:
    """Join a thread's pages (first page first) into one ``ThreadRecord``.

    Posts repeated across pages (Askbot shows the question on every page) are kept
    once. ``posts[0]`` — the first post of the first page — becomes the question.
    Precondition: ``pages`` is non-empty and all pages belong to one thread.
    """
    if not pages:
        raise ValueError("merge_pages needs at least one page")
    first = pages[0]
    seen: set[str] = set()
    posts: list[PostRecord] = []
    for page in pages:
        for post in page.posts:
            if post.external_id in seen:
                continue
            seen.add(post.external_id)
            posts.append(post)
    thread_id = first.external_id or thread_external_id(first.url, preset=None)
    posts = [
        replace(post, is_question=(index == 0), thread_external_id=thread_id)
        for index, post in enumerate(posts)
    ]
    # A question cannot be its own accepted answer (some themes mark the whole thread).
    if posts and posts[0].is_accepted:
        posts[0] = replace(posts[0], is_accepted=False)
    question = posts[0]
    accepted = next((p.external_id for p in posts[1:] if p.is_accepted), "")
    dates = [p.created_at for p in posts if p.created_at] + [p.edited_at for p in posts if p.edited_at]
    return ThreadRecord(
        external_id=thread_id,
        title=first.title,
        url=first.url,
        posts=tuple(posts),
        tags=first.tags,
        author_name=question.author_name,
        created_at=question.created_at,
        last_activity_at=max(dates) if dates else None,
        score=question.score,
        answer_count=len(posts) - 1,
        accepted_post_external_id=accepted,
        license=license,
        complete=complete,
    )


# -- helpers -----------------------------------------------------------------


def _parse_post(element: Tag, *, url: str, preset: Preset) -> PostRecord:
    body_el = element.select_one(preset.body)
    if body_el is None and element.css.match(preset.body):
        body_el = element
    if body_el is None:
        raise ParseError(f"a post matched {preset.post!r} but no body matched {preset.body!r} on {url}")
    author = _text(element.select_one(preset.author)) if preset.author else ""
    created = _date(element.select_one(preset.date), preset) if preset.date else None
    edited = _date(element.select_one(preset.edited_date), preset) if preset.edited_date else None
    accepted = bool(preset.accepted) and (
        element.css.match(preset.accepted) or element.select_one(preset.accepted) is not None
    )
    score = _int(_text(element.select_one(preset.score))) if preset.score else 0
    post_id = _post_id(element, preset)
    body = clean_body(body_el, preset=preset)
    if not post_id:
        digest = hashlib.sha1(f"{author}\x1f{created}\x1f{body_el.get_text(' ', strip=True)}".encode()).hexdigest()
        post_id = "h-" + digest[:16]
    return PostRecord(
        external_id=post_id,
        body_html=body,
        author_name=author,
        created_at=created,
        edited_at=edited,
        score=score,
        is_accepted=accepted,
        url=f"{url}#{element.get('id')}" if element.get("id") else url,
    )


def _post_id(element: Tag, preset: Preset) -> str:
    for attr in preset.post_id_attrs:
        value = element.get(attr)
        if isinstance(value, list):
            value = " ".join(value)
        if value:
            match = re.search(r"(\d+)\s*$", value)
            if match:
                return match.group(1)
    return ""


def _outermost(elements: list[Tag]) -> list[Tag]:
    """Drop matches nested in other matches (a quoted post inside a post)."""
    ids = {id(el) for el in elements}
    return [el for el in elements if not any(id(parent) in ids for parent in el.parents)]


def _next_url(soup, *, url: str, preset: Preset) -> str | None:
    if not preset.next_page:
        return None
    for link in soup.select(preset.next_page):
        href = _href(link)
        if not href:
            continue
        absolute = canonical_url(urljoin(url, href), preset=preset)
        # A "next" pointing at this very page would loop forever.
        if absolute != canonical_url(url, preset=preset):
            return absolute
    return None


def _is_link(element: Tag) -> bool:
    return element.name in {"a", "link"} and element.has_attr("href")


def _href(element: Tag | None) -> str:
    if element is None:
        return ""
    href = str(element.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return ""
    return href


def _text(element: Tag | None) -> str:
    if element is None:
        return ""
    if element.name == "meta":
        return " ".join(str(element.get("content") or "").split())
    return " ".join(element.get_text(" ").split())


def _int(text: str) -> int:
    match = re.search(r"-?\d+", text.replace(",", ""))
    return int(match.group(0)) if match else 0


def _date(element: Tag | None, preset: Preset) -> datetime | None:
    """Read a date per the preset; unparseable dates ("Yesterday") give None.

    Naive results are taken as UTC: guests see the board's default zone, which
    the page rarely states.
    """
    if element is None:
        return None
    raw = ""
    for attr in (preset.date_attr, "content"):
        if attr and element.get(attr):
            raw = str(element.get(attr))
            break
    if not raw:
        raw = element.get_text(" ")
    raw = " ".join(raw.replace("\xa0", " ").split())
    if not raw:
        return None
    value = _parse_date(raw, preset.date_formats)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def _parse_date(raw: str, formats: tuple[str, ...]) -> datetime | None:
    if raw.isdigit() and ("unix" in formats or len(raw) >= 9):
        try:
            return datetime.fromtimestamp(int(raw), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    for fmt in formats:
        if fmt == "unix":
            continue
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            pass
    # phpBB 3.0 prints "by alice » Mon Jan 15, 2024 10:00 am": try the tail.
    if "»" in raw:
        return _parse_date(raw.rsplit("»", 1)[1].strip(), formats)
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
