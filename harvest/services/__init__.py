"""Harvest writes, split by operation; import from here.

- ``sources``: add an outside source (checked by building its importer).
- ``runs``: harvest a source once (resumable, idempotent), through the store.
- ``manage``: what the harvest pages do: dumps by upload or allowed path, a dry run that stores
  nothing, the schedule, retrying one failed item.
"""
from harvest.services.manage import (
    SourcePreview,
    dump_path_check,
    dump_upload_save,
    harvest_error_retry,
    source_preview,
    source_schedule_set,
)
from harvest.services.runs import source_harvest
from harvest.services.sources import HTML_PRESETS, source_create

__all__ = ["HTML_PRESETS", "SourcePreview", "dump_path_check", "dump_upload_save", "harvest_error_retry",
           "source_create", "source_harvest", "source_preview", "source_schedule_set"]
