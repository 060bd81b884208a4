"""Build the importer for a ``Source`` row (the Django edge of the pure importers)."""
from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from pathlib import Path

from django.conf import settings

from community.models import Source
from harvest.cleaning import CLEANING_VERSION
from harvest.engine.http import PoliteClient
from harvest.models import FetchedPage


class SourceConfigError(ValueError):
    """The source's settings cannot make an importer; the message says what to fix."""


class StoredValidators(MutableMapping):
    """HTTP validators (ETag/Last-Modified) per URL, loaded from and saved to ``FetchedPage``."""

    def __init__(self, source: Source):
        self.source = source
        self._data = {
            row.url: {"etag": row.etag, "last_modified": row.last_modified}
            for row in FetchedPage.objects.filter(source=source)
        }
        self._dirty: set[str] = set()

    def __getitem__(self, key):
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = dict(value)
        self._dirty.add(key)

    def __delitem__(self, key):
        del self._data[key]
        self._dirty.add(key)

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def save(self) -> None:
        if not self._dirty:
            return
        for url in self._dirty:
            value = self._data.get(url)
            if value is None:
                FetchedPage.objects.filter(source=self.source, url=url).delete()
            else:
                FetchedPage.objects.update_or_create(
                    source=self.source, url=url[:1000],
                    defaults={"etag": (value.get("etag") or "")[:300],
                              "last_modified": (value.get("last_modified") or "")[:100]},
                )
        self._dirty.clear()


class CountingClient(PoliteClient):
    """A PoliteClient that remembers which URLs answered 304 Not Modified, so the run
    can count the threads behind them as unchanged (the importer skips them)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.not_modified_urls: list[str] = []

    def get(self, url, *, headers=None, params=None):
        result = super().get(url, headers=headers, params=params)
        if result.not_modified:
            self.not_modified_urls.append(result.url)
        return result


def build_client(source: Source, validators: MutableMapping | None) -> PoliteClient:
    options = source.settings or {}
    return CountingClient(
        user_agent=settings.HARVEST_USER_AGENT,
        delay=float(options.get("delay", settings.HARVEST_HOST_DELAY)),
        timeout=float(options.get("timeout", settings.HARVEST_TIMEOUT)),
        max_retries=int(options.get("max_retries", 3)),
        max_pages=int(options.get("max_pages", settings.HARVEST_MAX_PAGES)),
        validators=validators,
    )


def build_importer(source: Source, *, validators: MutableMapping | None = None):
    """The importer ``source``'s kind and settings call for; ``SourceConfigError`` says what is missing.

    Each importer is imported when first built, not with this module: together they pull in
    lxml, py7zr and BeautifulSoup (~0.4 s), and web processes import this module (through the
    admin's "harvest now") without ever building one.
    """
    options = source.settings or {}
    if source.kind == Source.Kind.STACKEXCHANGE:
        from harvest.engine.importers.stackexchange import StackExchangeDumpImporter

        if not source.path:
            raise SourceConfigError("A Stack Exchange source needs the path of the dump folder or archive.")
        return StackExchangeDumpImporter(source.path, site_url=source.base_url.rstrip("/"),
                                         license_default=source.license)
    if source.kind == Source.Kind.DISCOURSE:
        from harvest.engine.importers.discourse import DiscourseImporter

        if not source.base_url:
            raise SourceConfigError("A Discourse source needs the forum's base URL.")
        # No conditional GET: runs are incremental by last activity already, and a 304
        # on a listing page would hide the topics it lists.
        return DiscourseImporter(
            source.base_url, client=build_client(source, None), api_key=source.api_key,
            api_username=options.get("api_username", ""), categories=options.get("categories", ()),
            license=source.license, max_topics=options.get("max_topics"),
        )
    if source.kind == Source.Kind.HTML:
        from harvest.engine.importers.html import HtmlForumImporter, PresetError, get_preset, preset_from_dict

        if not source.base_url:
            raise SourceConfigError("An HTML forum source needs the URL of its thread list.")
        try:
            if source.preset in ("", "generic"):
                preset = preset_from_dict(options.get("selectors") or {})
            else:
                preset = get_preset(source.preset)
        except PresetError as exc:
            raise SourceConfigError(f"HTML preset: {exc}") from None
        return HtmlForumImporter(
            source.base_url, client=build_client(source, validators), preset=preset,
            max_threads=options.get("max_threads"), license=source.license,
        )
    raise SourceConfigError(f"Sources of kind {source.kind!r} are not harvested.")


def dump_fingerprint(source: Source) -> str | None:
    """A digest of a Stack Exchange source's dump files and of the cleaning settings.

    Equal fingerprints mean a re-harvest would find every post unchanged, so it can
    be skipped without parsing. None for other kinds or when the dump is missing.
    """
    if source.kind != Source.Kind.STACKEXCHANGE or not source.path:
        return None
    root = Path(source.path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
    elif root.is_file():
        files = [root]
    else:
        return None
    digest = hashlib.sha256(repr((CLEANING_VERSION, settings.HARVEST_MASK_CONTACTS,
                                  settings.HARVEST_MAX_POST_CHARS, source.base_url, source.license)).encode())
    for path in files:
        digest.update(f"\x1f{path.name}\x1f{path.stat().st_size}\x1f".encode())
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
