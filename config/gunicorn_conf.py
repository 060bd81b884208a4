"""gunicorn settings for production web processes.

    gunicorn -c python:config.gunicorn_conf config.wsgi

Sync workers (put a buffering proxy such as nginx in front), each of which
loads the embedding model and the live search index *before* it takes its
first request, so no customer's search pays the seconds that costs after a
deploy or a restart. ``bench/search.py`` serves with this file. Every value
can be set from the environment; command-line flags and ``GUNICORN_CMD_ARGS``
override this file as usual (threaded workers with keep-alive measured no
faster for search: bench/performance-log.md).

- ``WEB_CONCURRENCY``: worker processes (default: one per core). Each loads
  the model and the live index (about 850 MB resident at 100k documents).
- ``GUNICORN_BIND`` (``0.0.0.0:8000``), ``GUNICORN_TIMEOUT`` (60 s; a worker
  silent for longer is restarted), ``GUNICORN_ACCESS_LOG`` (a path, or ``-``
  for stdout; off by default), ``GUNICORN_LOG_LEVEL`` (``info``).

Request lines up to 8,190 bytes (gunicorn's ceiling; its default is 4,094), so a
search URL carrying a whole query in any script is read (``limit_request_line``
below). A proxy in front must allow as much: nginx's default buffers (8 kB) do.
"""
from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_int, env_str

try:
    bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
    # gunicorn reads WEB_CONCURRENCY itself too; this makes its default one worker per core.
    workers = env_int("WEB_CONCURRENCY", os.cpu_count() or 1, minimum=1)
    timeout = env_int("GUNICORN_TIMEOUT", 60, minimum=1)
    loglevel = env_choice("GUNICORN_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
except ImproperlyConfigured as exc:
    raise SystemExit(str(exc)) from None  # one clear line, not a traceback
worker_class = "sync"
graceful_timeout = 30
accesslog = env_str("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# The search API reads a query whole up to the cleaning cap (512 characters,
# search.engine.query.DEFAULT_MAX_CHARS). In a URL each character takes up to 4 bytes of
# UTF-8, each percent-encoded into 3: 6,144 bytes. With the method, the path, the longest
# type, the tag and source filters (80 characters each, any script: 960 bytes each), a
# limit, a format and the protocol, a GET /api/search line is at most 8,140 bytes
# (tests/config/test_long_queries.py builds it). gunicorn's default, 4,094, answered 414 to
# a question of ~690 characters in Cyrillic. Longer text goes in the body of POST /api/search.
limit_request_line = 8190


def post_worker_init(worker) -> None:
    """Load the model and the live index before the worker takes requests, so no customer's
    search pays for it. A missing index or model is only logged: search falls back then.

    Then move everything loaded so far out of the garbage collector's sight (``gc.freeze``):
    a warm worker holds about half a million container objects (the model, Django, the
    libraries), and every full collection walked all of them, a pause of about a quarter
    of a second in whichever request triggered it (bench/performance-log.md, sixth pass). They live
    as long as the worker, so the collector has nothing to find among them."""
    import gc
    import logging

    from search.backends import warm_up
    from search.engine import IndexUnavailable, ModelUnavailable

    try:
        warm_up()  # a bad SEARCH_BACKENDS entry raises here and stops the worker
    except (IndexUnavailable, ModelUnavailable) as exc:
        logging.getLogger("gleaner.web").warning("search not warmed up: %s", exc)
    gc.collect()  # what the warm-up left behind goes now, not into the frozen generation
    gc.freeze()
