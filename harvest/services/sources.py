"""Adding an outside source to harvest (a Stack Exchange dump, a Discourse forum, an HTML forum)."""
from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.db import transaction

from community.models import Source
from core.errors import ServiceError
from core.outbound import validate_web_url
from core.slugs import unique_slug
from harvest.factory import SourceConfigError, build_importer

HTML_PRESETS = ("phpbb", "vbulletin", "xenforo", "askbot", "discourse_crawler", "generic")


@transaction.atomic
def source_create(
    *, name: str, kind: str, base_url: str = "", path: str = "", preset: str = "", license: str = "",
    options: dict | None = None, schedule_minutes: int = 0, trust: float = 0.5, api_key: str = "",
) -> Source:
    """Add a source, checking that an importer can be built from it."""
    if kind not in Source.Kind.values or kind == Source.Kind.COMMUNITY:
        raise ServiceError(f"Unknown source kind {kind!r}; use stackexchange, discourse or html.", field="kind")
    if kind == Source.Kind.HTML and preset and preset not in HTML_PRESETS:
        raise ServiceError(f"Unknown preset {preset!r}; use one of {', '.join(HTML_PRESETS)}.", field="preset")
    if base_url:
        try:
            validate_web_url(base_url)
        except ValidationError as exc:
            raise ServiceError(f"{base_url!r} is not a web address: {exc.messages[0]}", field="base_url") from None
    if kind == Source.Kind.STACKEXCHANGE and path and not os.path.exists(path):
        raise ServiceError(f"No dump at {path}.", field="path")
    slug = unique_slug(name, queryset=Source.objects.all(), max_length=70, fallback=kind)
    source = Source(
        name=name, slug=slug, kind=kind, base_url=base_url, path=path, preset=preset, settings=options or {},
        license=license or ("CC BY-SA 4.0" if kind == Source.Kind.STACKEXCHANGE else ""),
        schedule_minutes=schedule_minutes, trust=trust, api_key=api_key,
    )
    try:
        build_importer(source)
    except SourceConfigError as exc:
        raise ServiceError(str(exc), field="settings") from None
    source.save()
    return source
