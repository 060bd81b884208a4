"""Harvest runs: harvest a source once, resuming an interrupted run, and record how it went."""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from community.models import Post, Source, Thread
from community.signals import threads_changed
from core.errors import ServiceError
from harvest.engine.records import PostRecord, ThreadRecord
from harvest.engine.seen import SeenSet
from harvest.factory import SourceConfigError, StoredValidators, build_importer, dump_fingerprint
from harvest.models import HarvestRun
from harvest.signals import harvest_finished
from harvest.store import ThreadStore

logger = logging.getLogger(__name__)

# A run whose heartbeat is older than this is taken as dead (killed, crashed) and resumed.
STALE_AFTER = timedelta(seconds=120)
# A harvest task whose process is killed goes back to the broker and resumes (``harvest.tasks``).
# One batch that kills its process each time (too big for the memory) would loop forever:
# after this many resumed runs in a row that stored nothing, the chain is failed instead.
STALLED_RESUMES = 3
FULL_SNAPSHOT_KINDS = {Source.Kind.STACKEXCHANGE}


def _start_run(source: Source, *, resume: bool) -> tuple[HarvestRun, dict | None]:
    """Open a run; when the last one died midway, continue from its checkpoint.

    Raises ServiceError when the source is being harvested, or when its last runs died one
    after the other at one checkpoint without storing anything (see ``STALLED_RESUMES``).
    """
    stalled = ""
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=source.pk)
        last = HarvestRun.objects.filter(source=source).order_by("-started_at").first()
        if last and last.status == HarvestRun.Status.RUNNING:
            if not _worker_is_dead(last.worker) and timezone.now() - last.heartbeat_at < STALE_AFTER:
                raise ServiceError(f"{source.name} is already being harvested (run {last.pk}).", code="running")
            last.status = HarvestRun.Status.INTERRUPTED
            last.finished_at = last.heartbeat_at
            last.message = "stopped without finishing (process killed or crashed); resumed by the next run"
            last.save(update_fields=["status", "finished_at", "message"])
        cursor = None
        resumed_from = None
        if resume and last and last.status == HarvestRun.Status.INTERRUPTED and last.cursor:
            if _stalled_resumes(last) >= STALLED_RESUMES:
                stalled = (f"{source.name}: the last {STALLED_RESUMES} runs were killed at the same checkpoint "
                           "before storing anything (out of memory?); not resumed again. The next run starts "
                           "over; a smaller HARVEST_BATCH_SIZE or more memory for the worker may get it through.")
                last.status = HarvestRun.Status.FAILED
                last.message = stalled
                last.save(update_fields=["status", "message"])
            else:
                cursor, resumed_from = last.cursor, last
        elif source.checkpoint and source.kind == Source.Kind.DISCOURSE:
            cursor = source.checkpoint  # incremental sources continue after the last complete run
        if not stalled:
            run = HarvestRun.objects.create(
                source=source, resumed_from=resumed_from, cursor=cursor or {}, worker=f"{_HOST}:{os.getpid()}"
            )
    if stalled:
        # Outside the transaction, which keeps the failed run: the task that was given back
        # each time its process died ends here instead of being killed forever.
        raise ServiceError(stalled, code="stalled")
    return run, cursor


def _stalled_resumes(run: HarvestRun) -> int:
    """How many interrupted runs in a row, from ``run`` back, stored nothing at all."""
    count, current = 0, run
    while (current is not None and current.status == HarvestRun.Status.INTERRUPTED
           and not (current.new_count or current.updated_count or current.unchanged_count
                    or current.deleted_count or current.failed_count)):
        count += 1
        current = current.resumed_from
    return count


_HOST = socket.gethostname()


def _worker_is_dead(worker: str) -> bool:
    """True when the run's process was on this host and is gone (killed, crashed).

    A run on another host can only be judged by its heartbeat (``STALE_AFTER``).
    """
    host, _, pid = worker.rpartition(":")
    if host != _HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _seen_path(run: HarvestRun) -> os.PathLike:
    first = run
    while first.resumed_from_id:
        first = first.resumed_from
    return settings.DATA_DIR / "harvest" / f"seen-{run.source_id}-{first.pk}.sqlite3"


def source_harvest(
    *, source: Source, resume: bool = True, batch_size: int | None = None,
    progress: Callable[[HarvestRun], None] | None = None, force: bool = False, auto_cluster: bool = True,
) -> HarvestRun:
    """Harvest ``source`` once, storing every record; returns the finished run.

    One bad item is recorded on the run and skipped. A run killed midway leaves its
    cursor behind, and the next call resumes from it with no duplicates. A Stack
    Exchange dump whose files are byte-for-byte those of the last complete run is
    not read again (every post counts unchanged) unless ``force``. ``auto_cluster`` goes out
    with ``harvest_finished``: False asks the knowledge base not to cluster the harvested
    threads now (the caller clusters later, as the demo does once after all its sources).
    Raises ServiceError when the source is already being harvested, or when its last runs
    were killed one after the other at one checkpoint without storing anything.
    """
    run, cursor = _start_run(source, resume=resume)
    fingerprint = dump_fingerprint(source)
    if fingerprint and not cursor and not force and source.checkpoint.get("fingerprint") == fingerprint:
        return _finish_unchanged(source, run, fingerprint, progress, auto_cluster=auto_cluster)
    validators = StoredValidators(source)
    full_snapshot = source.kind in FULL_SNAPSHOT_KINDS and not cursor_is_incremental(cursor)
    ledger = SeenSet(_seen_path(run))

    def remember(batch) -> None:
        # Before the batch is stored: a kill in between re-yields these records on resume anyway.
        if full_snapshot:
            ledger.add_many(r.external_id for r in batch if isinstance(r, ThreadRecord))
            ledger.add_posts(r.external_id for r in batch if isinstance(r, PostRecord) and not r.is_question)

    def report() -> None:
        if progress:
            run.refresh_from_db()
            progress(run)

    store = ThreadStore(source=source, run=run, batch_size=batch_size, before_batch=remember, after_batch=report,
                        ledger=ledger)
    status, message = HarvestRun.Status.SUCCEEDED, ""
    read_to_end = False
    try:
        importer = build_importer(source, validators=validators)
        for record, record_cursor in importer.iter_records(cursor or None):
            store.add(record, record_cursor)
        store.flush()
        # Importers say so explicitly; one that does not is never trusted to have read everything.
        read_to_end = bool(getattr(importer, "read_to_end", False))
        _count_not_modified(source, run, importer)
    except SourceConfigError as exc:
        status, message = HarvestRun.Status.FAILED, f"source settings: {exc}"
    except Exception as exc:  # the importer or the network gave up: keep what was stored, say why
        logger.exception("harvest of %s failed", source.slug)
        try:
            store.flush()
        except Exception:  # noqa: BLE001 - the batch itself may be what failed
            logger.exception("could not store the last batch of %s", source.slug)
        status, message = HarvestRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        validators.save()

    failed_items = _failed_in_chain(run)
    if status == HarvestRun.Status.SUCCEEDED and failed_items:
        status = HarvestRun.Status.PARTIAL
        cut = "" if read_to_end else " and the source was not read to the end"
        message = f"{failed_items} item(s) could not be read{cut}; see the errors"
    # Deleting on partial evidence would hide every thread after a parse error: only a run
    # that read its whole input and failed no item may mark anything deleted.
    if status == HarvestRun.Status.SUCCEEDED and read_to_end:
        with transaction.atomic():
            store.apply_deferred_deletions()
            if full_snapshot:
                _mark_vanished(source, run, ledger, store)
    elif status == HarvestRun.Status.SUCCEEDED:
        message = "stopped before the end of the source (a topic or thread cap); nothing was marked deleted"
    else:
        message = f"{message}; nothing was marked deleted (only a run that reads everything cleanly does)"
    # Threads the interrupted runs of this chain stored count as changed by this one: their
    # processes died before reporting them (to clustering, among others).
    # The ledger is written before each batch commits, so a kill can leave ids of threads that
    # were rolled back (the resumed run stored them again under new ids): report only real ones.
    changed = sorted((store.changed_thread_ids | set(ledger.changed()))
                     & set(Thread.objects.filter(source=source).values_list("id", flat=True)))
    ledger.close(delete=True)  # a finished run is never resumed
    _resolve_duplicates(source)

    run.refresh_from_db()
    run.status = status
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    source.last_run_at = run.finished_at
    fields = ["last_run_at"]
    if status in (HarvestRun.Status.SUCCEEDED, HarvestRun.Status.PARTIAL):
        source.checkpoint = next_checkpoint(source, run.cursor)
        if fingerprint and status == HarvestRun.Status.SUCCEEDED:
            source.checkpoint["fingerprint"] = fingerprint
        fields.append("checkpoint")
    source.save(update_fields=fields)
    harvest_finished.send(sender=HarvestRun, run_id=run.pk, thread_ids=changed, auto_cluster=auto_cluster)
    if progress:
        progress(run)
    return run


def _count_not_modified(source: Source, run: HarvestRun, importer) -> None:
    """Posts of HTML threads whose first page answered 304 count as unchanged."""
    urls = getattr(getattr(importer, "client", None), "not_modified_urls", None)
    if not urls or source.kind != Source.Kind.HTML:
        return
    # Imported here, like the importers themselves (see ``harvest.factory.build_importer``).
    from harvest.engine.importers.html import thread_external_id

    external_ids = {thread_external_id(url, preset=importer.preset) for url in urls}
    unchanged = Post.objects.filter(thread__source=source, thread__external_id__in=external_ids,
                                    is_deleted=False).count()
    HarvestRun.objects.filter(pk=run.pk).update(unchanged_count=F("unchanged_count") + unchanged)


def _finish_unchanged(source: Source, run: HarvestRun, fingerprint: str, progress, *, auto_cluster: bool) -> HarvestRun:
    unchanged = Post.objects.filter(thread__source=source, is_deleted=False).count()
    run.unchanged_count = unchanged
    run.status = HarvestRun.Status.SUCCEEDED
    run.message = "the dump's files are unchanged since the last complete run; nothing to read"
    run.finished_at = timezone.now()
    run.save(update_fields=["unchanged_count", "status", "message", "finished_at"])
    source.last_run_at = run.finished_at
    source.save(update_fields=["last_run_at"])
    harvest_finished.send(sender=HarvestRun, run_id=run.pk, thread_ids=[], auto_cluster=auto_cluster)
    if progress:
        progress(run)
    return run


def cursor_is_incremental(cursor: dict | None) -> bool:
    return bool(cursor and cursor.get("since"))


def next_checkpoint(source: Source, cursor: dict) -> dict:
    """What the next run starts from. Dumps start over (to see edits and deletions);
    Discourse keeps its ``since``; HTML crawls start over from the first list page."""
    if source.kind == Source.Kind.DISCOURSE and cursor:
        return {key: value for key, value in cursor.items() if key == "since"}
    return {}


def _failed_in_chain(run: HarvestRun) -> int:
    """Items that failed in this run and in the interrupted runs it resumes (their rows are not read again)."""
    total, current = 0, HarvestRun.objects.get(pk=run.pk)
    while current is not None:
        total += current.failed_count
        current = current.resumed_from
    return total


def _mark_vanished(source: Source, run: HarvestRun, seen: SeenSet, store: ThreadStore) -> None:
    """Mark deleted the threads, then the answers, that a complete snapshot no longer holds.

    Precondition: the run read the whole snapshot and failed no item.
    """
    ids = Thread.objects.filter(source=source, is_deleted=False).values_list("external_id", flat=True)
    gone = list(seen.missing(ids.iterator(chunk_size=2000)))
    changed: set[int] = set()
    for start in range(0, len(gone), 900):
        chunk = gone[start:start + 900]
        Thread.objects.filter(source=source, external_id__in=chunk).update(is_deleted=True, search_dirty=True)
    if gone:
        changed |= set(Thread.objects.filter(source=source, external_id__in=gone[:5000]).values_list("id", flat=True))
    # Answers written in Gleaner itself (author set) are never the dump's to delete.
    answers = Post.objects.filter(thread__source=source, thread__is_deleted=False, is_question=False,
                                  is_deleted=False, author__isnull=True)
    gone_answers = list(seen.missing_posts(answers.values_list("external_id", flat=True).iterator(chunk_size=2000)))
    for start in range(0, len(gone_answers), 900):
        rows = answers.filter(external_id__in=gone_answers[start:start + 900])
        thread_ids = set(rows.values_list("thread_id", flat=True))
        rows.update(is_deleted=True)
        Thread.objects.filter(id__in=thread_ids).update(search_dirty=True)
        changed |= thread_ids
    deleted = len(gone) + len(gone_answers)
    if not deleted:
        return
    HarvestRun.objects.filter(pk=run.pk).update(deleted_count=F("deleted_count") + deleted)
    store.changed_thread_ids |= changed
    thread_ids = sorted(changed)
    transaction.on_commit(lambda: threads_changed.send(sender=Thread, thread_ids=thread_ids))


def _resolve_duplicates(source: Source) -> None:
    """Point ``duplicate_of`` at the original thread now that both may be stored.

    One statement for the whole source: each pending duplicate probes the unique
    (source, external id) index for its original; duplicates whose original is not
    stored (yet) keep ``duplicate_of`` empty and are tried again by the next run.
    """
    original = Thread.objects.filter(source=source, external_id=OuterRef("duplicate_of_external_id"))
    (Thread.objects.filter(source=source, duplicate_of__isnull=True).exclude(duplicate_of_external_id="")
     .filter(Exists(original)).update(duplicate_of_id=Subquery(original.values("id")[:1])))
