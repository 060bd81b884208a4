"""Harvest writes, split by operation; import from here.

- ``sources``: add an outside source (checked by building its importer).
- ``runs``: harvest a source once (resumable, idempotent), through the store.
"""
from harvest.services.runs import source_harvest
from harvest.services.sources import HTML_PRESETS, source_create

__all__ = ["HTML_PRESETS", "source_create", "source_harvest"]
