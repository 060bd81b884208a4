"""Clustering asked for by tasks: one run at a time, every other request coalesced into one pending run.

A clustering run takes minutes on a real dump. Requests that arrive while one runs
(every harvest sends one) must neither wait on its lock, holding a worker slot each,
nor queue a run apiece: they are merged into one pending request (the union of their
thread ids, or a full re-run if any asked for one) kept in a small JSON file next to
the lock, and the request returns at once. The run holding the lock takes the pending
request when it finishes; a run killed midway leaves its request behind as "running",
and the next holder (the next request, or the periodic ``kb.tasks.cluster_pending``)
runs it again.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from kb.services.clustering import ClusterReport, clustering_lock, clusters_rebuild, clusters_update
from search.locks import index_write_lock

PENDING_FILE = "clustering-pending.json"
RUNNING_FILE = "clustering-running.json"
_FILES_LOCK = ".clustering-pending.lock"


def _path(name: str) -> Path:
    return Path(settings.SEARCH_INDEX_DIR) / name


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        # A file cut by a crash mid-write cannot say which threads: re-cluster them all.
        return {"rebuild": True, "ids": []}
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), "utf-8")
    os.replace(temporary, path)


def _merge(into: dict | None, other: dict | None) -> dict | None:
    if not other:
        return into
    if not into:
        return {"rebuild": bool(other.get("rebuild")), "ids": sorted(set(other.get("ids") or ()))}
    return {"rebuild": bool(into.get("rebuild") or other.get("rebuild")),
            "ids": sorted(set(into.get("ids") or ()) | set(other.get("ids") or ()))}


def clustering_pending() -> dict | None:
    """The one pending request (``{"rebuild": bool, "ids": [...]}``), or None when nothing waits."""
    with index_write_lock(name=_FILES_LOCK):
        return _read(_path(PENDING_FILE))


def _add(thread_ids: list[int] | None) -> None:
    if thread_ids is not None and not thread_ids:
        return
    request = {"rebuild": True, "ids": []} if thread_ids is None else {"rebuild": False, "ids": thread_ids}
    with index_write_lock(name=_FILES_LOCK):
        _write(_path(PENDING_FILE), _merge(_read(_path(PENDING_FILE)), request))


def _take() -> dict | None:
    """Move the pending request (and one a killed run left) to "running". Caller holds the clustering lock."""
    with index_write_lock(name=_FILES_LOCK):
        request = _merge(_read(_path(RUNNING_FILE)), _read(_path(PENDING_FILE)))
        if request is None:
            return None
        _write(_path(RUNNING_FILE), request)
        _path(PENDING_FILE).unlink(missing_ok=True)
        return request


def _give_back() -> None:
    """A run that failed: its request waits again with the pending one."""
    with index_write_lock(name=_FILES_LOCK):
        merged = _merge(_read(_path(PENDING_FILE)), _read(_path(RUNNING_FILE)))
        if merged:
            _write(_path(PENDING_FILE), merged)
        _path(RUNNING_FILE).unlink(missing_ok=True)


def _run(request: dict) -> ClusterReport:
    try:
        if request.get("rebuild"):
            report = clusters_rebuild(lock_held=True)
        else:
            report = clusters_update(thread_ids=request["ids"], lock_held=True)
    except BaseException:
        _give_back()
        raise
    _path(RUNNING_FILE).unlink(missing_ok=True)
    return report


def clusters_request(*, thread_ids: list[int] | None) -> tuple[list[ClusterReport], bool]:
    """Cluster ``thread_ids`` (incremental; None: a full re-run) now, or leave them to the run in progress.

    Returns ``(reports of the runs made here, whether the request was left pending)``.
    Never waits for another run: when one holds the lock, the request joins the pending
    one and this returns at once. Empty ``thread_ids`` only runs what is pending.
    """
    _add(thread_ids)
    reports: list[ClusterReport] = []
    while True:
        with clustering_lock(blocking=False) as acquired:
            if not acquired:
                return reports, True
            while (request := _take()) is not None:
                reports.append(_run(request))
        # A request added after our last look but before we let go found the lock taken and
        # left its ids to us: look once more now that the lock is free.
        if clustering_pending() is None:
            return reports, False
