"""Managing sources from the site: dumps by upload or allowed path, a dry run, the schedule, retries.

Every function assumes ``harvest.permissions.check_can_manage_sources`` passed (check, then do)
and raises ``ServiceError`` with a readable message for bad input.
"""
from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from community.models import Source
from core.errors import ServiceError
from harvest.factory import SourceConfigError, build_importer
from harvest.models import HarvestError, HarvestRun
from harvest.signals import harvest_finished
from harvest.store import ThreadStore
from harvest.engine.records import DeletedRecord, ItemError, PostRecord, ThreadRecord

DUMP_SUFFIXES = (".7z", ".zip", ".xml")
PREVIEW_THREADS = 5


def upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def dump_dirs() -> list[Path]:
    return [Path(d).resolve() for d in settings.HARVEST_DUMP_DIRS] + [upload_dir().resolve()]


def dump_path_check(path: str) -> str:
    """``path`` resolved, when it exists inside one of the allowed folders; else a ``ServiceError``."""
    if not path.strip():
        raise ServiceError("Give the dump's path, or upload it.", field="path")
    resolved = Path(path.strip()).expanduser().resolve()
    if not any(resolved == root or root in resolved.parents for root in dump_dirs()):
        allowed = ", ".join(str(d) for d in settings.HARVEST_DUMP_DIRS) or "none configured"
        raise ServiceError(f"Dumps are read only from the allowed folders (HARVEST_DUMP_DIRS: {allowed}).",
                           field="path")
    if not resolved.exists():
        raise ServiceError(f"No dump at {resolved}.", field="path")
    return str(resolved)


def dump_upload_save(*, upload) -> str:
    """Keep an uploaded dump (a .7z or .zip archive, or one Posts.xml) and return its path."""
    name = get_valid_filename(Path(upload.name).name) or "dump"
    if not name.lower().endswith(DUMP_SUFFIXES):
        raise ServiceError("Upload a Stack Exchange dump: a .7z or .zip archive (or a Posts.xml file).",
                           field="upload")
    folder = upload_dir() / secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return str(target)


@transaction.atomic
def source_schedule_set(*, source: Source, schedule_minutes: int, enabled: bool) -> Source:
    """Harvest every ``schedule_minutes`` (0: only by hand) while ``enabled``; beat starts due sources."""
    if schedule_minutes < 0 or schedule_minutes > 60 * 24 * 366:
        raise ServiceError("Give the schedule in minutes: 0 (by hand only) up to a year.", field="schedule_minutes")
    source.schedule_minutes, source.enabled = schedule_minutes, enabled
    source.save(update_fields=["schedule_minutes", "enabled"])
    return source


@dataclass
class PreviewThread:
    title: str
    url: str
    posts: int
    author: str
    created_at: datetime | None
    license: str


@dataclass
class SourcePreview:
    """What a harvest of the source would import first, read without storing anything."""

    threads: list[PreviewThread] = field(default_factory=list)
    answers: int = 0  # Stack Exchange answers read (they stream apart from their questions)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (item, message)
    problem: str = ""  # the source cannot be read at all


def source_preview(*, source: Source, limit: int = PREVIEW_THREADS) -> SourcePreview:
    """Read the first ``limit`` threads of ``source`` (saved or not) and nothing is stored.

    HTTP sources fetch their first list page and ``limit`` threads, with the usual
    politeness (robots.txt, delays); a dump reads its first rows.
    """
    trial = copy.copy(source)
    options = dict(source.settings or {})
    # Bound the dry run: a few threads, and the pages they need.
    options.update(max_topics=limit, max_threads=limit, max_pages=min(int(options.get("max_pages", 50)), 4 * limit + 4))
    trial.settings = options
    preview = SourcePreview()
    try:
        importer = build_importer(trial)
        records = importer.iter_records(None)
        for record, _ in records:
            if isinstance(record, ThreadRecord):
                first = record.posts[0] if record.posts else None
                preview.threads.append(PreviewThread(
                    title=record.title, url=record.url, posts=len(record.posts),
                    author=record.author_name or (first.author_name if first else ""),
                    created_at=record.created_at, license=record.license or (first.license if first else "")
                    or source.license))
            elif isinstance(record, PostRecord):
                preview.answers += 1
            elif isinstance(record, ItemError):
                preview.errors.append((record.item, record.message))
            if len(preview.threads) >= limit or len(preview.errors) >= limit:
                break
        close = getattr(records, "close", None)
        if close:
            close()
    except SourceConfigError as exc:
        preview.problem = f"Source settings: {exc}"
    except Exception as exc:  # noqa: BLE001 - the network or the file: show it, store nothing
        preview.problem = f"{type(exc).__name__}: {exc}"
    if not preview.threads and not preview.problem and not preview.errors:
        preview.problem = "Nothing to import was found."
    return preview


def harvest_error_retry(*, error: HarvestError) -> HarvestRun:
    """Fetch the one item ``error`` names again and store it, as a run of its own.

    The retry run finishes *succeeded* and the error is marked fixed when the item was
    read; else it finishes *failed* with the new reason. A dump row, or a list page (which
    only a whole run can follow), is refused with a ``ServiceError``.
    """
    source = error.run.source
    if error.fixed_by_id:
        raise ServiceError("This item was already read again successfully.", code="fixed")
    try:
        importer = build_importer(source)
    except SourceConfigError as exc:
        raise ServiceError(f"Source settings: {exc}") from None
    fetch = getattr(importer, "fetch_item", None)
    if fetch is None:
        raise ServiceError("A dump row cannot be read again on its own: fix the dump and run the source.",
                           code="not_retryable")
    try:
        records = fetch(error.item)
    except ValueError as exc:
        raise ServiceError(f"This item cannot be retried alone: {exc}.", code="not_retryable") from None
    run = HarvestRun.objects.create(source=source, message=f"retry of {error.item}"[:1000])
    store = ThreadStore(source=source, run=run)
    for record in records:
        store.add(record, None)
    store.flush()
    run.refresh_from_db()
    failed = [r for r in records if isinstance(r, ItemError)]
    run.status = HarvestRun.Status.FAILED if failed else HarvestRun.Status.SUCCEEDED
    if failed:
        run.message = f"retry of {error.item} failed again: {failed[0].message}"[:2000]
    elif any(isinstance(r, DeletedRecord) for r in records):
        run.message = f"retry of {error.item}: gone at the source, marked deleted"
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    if not failed:
        HarvestError.objects.filter(pk=error.pk).update(fixed_by=run)
        error.fixed_by = run
    harvest_finished.send(sender=HarvestRun, run_id=run.pk, thread_ids=sorted(store.changed_thread_ids),
                          auto_cluster=True)
    return run
