"""Stack Exchange data-dump importer (pure: files in, ``harvest.engine.records`` out).

Public API::

    importer = StackExchangeDumpImporter(path, site_url="https://beer.stackexchange.com")
    for record, cursor in importer.iter_records(checkpoint=None): ...
    read_post_links(path) -> list[LinkRecord]
    count_posts(path) -> int
"""
from ..archive import DumpError
from .importer import StackExchangeDumpImporter, count_posts
from .links import read_post_links

__all__ = ["DumpError", "StackExchangeDumpImporter", "count_posts", "read_post_links"]
