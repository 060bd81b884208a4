"""HTML-forum importer: presets of CSS selectors, pure page parsers, a crawling importer.

Public API::

    from harvest.engine.importers.html import (
        Preset, PresetError, PRESETS, get_preset, preset_from_dict,
        ParseError, ThreadListPage, ThreadPage,
        parse_thread_list, parse_thread_page, merge_pages, thread_external_id,
        HtmlForumImporter,
    )
"""
from .parse import (
    ParseError,
    ThreadListPage,
    ThreadPage,
    canonical_url,
    merge_pages,
    parse_thread_list,
    parse_thread_page,
    thread_external_id,
)
from .importer import HtmlForumImporter
from .presets import PRESETS, Preset, PresetError, get_preset, preset_from_dict

__all__ = [
    "HtmlForumImporter",
    "PRESETS",
    "ParseError",
    "Preset",
    "PresetError",
    "ThreadListPage",
    "ThreadPage",
    "canonical_url",
    "get_preset",
    "merge_pages",
    "parse_thread_list",
    "parse_thread_page",
    "preset_from_dict",
    "thread_external_id",
]
