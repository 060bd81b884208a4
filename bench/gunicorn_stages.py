"""The production gunicorn config plus timers for each stage of a search inside the workers (``bench/search.py --stages``).

Every request gets a row per stage of ``search_profile.STAGES`` (inclusive, in
ms), plus ``app`` (the WSGI call: Django, DRF, the search, JSON), ``served``
(gunicorn's whole handling, including the work after the response such as the
query log) and ``at`` (wall-clock end, to pick a run's requests). Each worker
writes its rows as JSON to ``$GLEANER_BENCH_STAGES_DIR/stages-<pid>.json`` when
it exits. The timers cost a few microseconds a stage; they are not in the
figures ``bench/search.py`` prints without ``--stages``.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.gunicorn_conf import *  # noqa: E402,F403 (the production settings, with the hooks below added)
from config.gunicorn_conf import post_worker_init as _warm_up  # noqa: E402

_rows: dict[str, list[float]] = {}


def post_worker_init(worker) -> None:
    _warm_up(worker)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import search_profile

    for _, attribute in search_profile.STAGES:
        _rows[attribute if attribute != "rank" else "rank (dense + keyword + fusion)"] = []
    for name in ("app", "served", "at"):
        _rows[name] = []
    search_profile.timed_stages(_rows)
    app = worker.wsgi

    def timed_app(environ, start_response):
        started = time.perf_counter()
        try:
            return app(environ, start_response)
        finally:
            _rows["app"][-1] += (time.perf_counter() - started) * 1000

    worker.wsgi = timed_app


def pre_request(worker, req) -> None:
    for row in _rows.values():
        row.append(0.0)
    worker.stages_started = time.perf_counter()


def post_request(worker, req, environ, resp) -> None:
    _rows["served"][-1] = (time.perf_counter() - worker.stages_started) * 1000
    _rows["at"][-1] = time.time()


def worker_exit(server, worker) -> None:
    folder = os.environ.get("GLEANER_BENCH_STAGES_DIR")
    if folder:
        Path(folder, f"stages-{os.getpid()}.json").write_text(json.dumps(_rows))
