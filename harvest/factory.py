"""Build the importer for a ``Source`` row (the Django edge of the pure importers)."""
from __future__ import annotations

from collections.abc import MutableMapping

from django.conf import settings

from harvest.http import PoliteClient
from harvest.models import FetchedPage, Source


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


def build_client(source: Source, validators: MutableMapping | None) -> PoliteClient:
    options = source.settings or {}
    return PoliteClient(
        user_agent=settings.HARVEST_USER_AGENT,
        delay=float(options.get("delay", settings.HARVEST_HOST_DELAY)),
        timeout=float(options.get("timeout", settings.HARVEST_TIMEOUT)),
        max_retries=int(options.get("max_retries", 3)),
        max_pages=int(options.get("max_pages", settings.HARVEST_MAX_PAGES)),
        validators=validators,
    )


def build_importer(source: Source, *, validators: MutableMapping | None = None):
    options = source.settings or {}
    if source.kind == Source.Kind.STACKEXCHANGE:
        from harvest.importers.stackexchange import StackExchangeDumpImporter

        if not source.path:
            raise SourceConfigError("A Stack Exchange source needs the path of the dump folder or archive.")
        return StackExchangeDumpImporter(source.path, site_url=source.base_url.rstrip("/"),
                                         license_default=source.license)
    if source.kind == Source.Kind.DISCOURSE:
        from harvest.importers.discourse import DiscourseImporter

        if not source.base_url:
            raise SourceConfigError("A Discourse source needs the forum's base URL.")
        return DiscourseImporter(
            source.base_url, client=build_client(source, validators), api_key=source.api_key,
            api_username=options.get("api_username", ""), categories=options.get("categories", ()),
            license=source.license, max_topics=options.get("max_topics"),
        )
    if source.kind == Source.Kind.HTML:
        from harvest.importers.html import HtmlForumImporter, PresetError, get_preset, preset_from_dict

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
