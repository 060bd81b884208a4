"""The production gunicorn config (``config/gunicorn_conf.py``): it loads, refuses bad values
clearly, and its warm-up never keeps a worker from starting."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.search.corpus import corpus  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def check_config(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GUNICORN), "--check-config", "-c", "python:config.gunicorn_conf", "config.wsgi"],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def test_the_production_config_loads():
    done = check_config()
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("value", "reason"), [("soon", "is not a whole number"), ("0", "must be at least 1")])
def test_a_bad_timeout_is_refused_with_a_clear_message(value, reason):
    done = check_config(GUNICORN_TIMEOUT=value)
    assert done.returncode != 0
    message = done.stderr + done.stdout
    assert "GUNICORN_TIMEOUT=" in message and reason in message
    assert "Traceback" not in done.stderr


def test_the_web_server_settings_of_env_example_load_as_written():
    """An operator copies .env.example; its web server lines must start the server as they stand."""
    lines = (REPO / ".env.example").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# Web server"))
    web = dict(line.split("=", 1) for line in lines[start:] if line and not line.startswith("#"))
    assert web, "the web server section lists no variable"
    done = check_config(**web)
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_warm_up_without_an_index_logs_and_lets_the_worker_start(caplog):
    from config.gunicorn_conf import post_worker_init

    with caplog.at_level(logging.WARNING, logger="gleaner.web"):
        post_worker_init(None)  # no index was built in this test's index directory
    assert "search not warmed up" in caplog.text


@pytest.mark.django_db
def test_a_warmed_up_worker_searches_by_meaning_from_its_first_request(corpus, search_index_dir, client):
    """The warm-up loads the index into the worker: even with the files gone afterwards, the
    first search answers from it (without the warm-up it would find no index and degrade)."""
    import shutil

    from config.gunicorn_conf import post_worker_init
    from search.backends import reset_backends

    reset_backends()  # a new worker: nothing loaded yet
    post_worker_init(None)
    shutil.rmtree(search_index_dir)
    response = client.get("/api/search", {"q": "wifi for visitors"})
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is False
    assert corpus.documents["guest"].title in [result["title"] for result in body["results"]]


@pytest.mark.django_db
def test_a_warmed_up_worker_keeps_what_it_loaded_out_of_full_collections(corpus, search_index_dir):
    """The model, the index and the libraries live as long as the worker; a full garbage
    collection walked all of them, pausing whichever request set it off (~0.25 s measured).
    After the warm-up they are frozen: the collector no longer sees them."""
    import gc

    from config.gunicorn_conf import post_worker_init
    from search.backends import reset_backends
    from search.backends.versions import get_live_index
    from search.embeddings import get_embedder

    reset_backends()
    try:
        post_worker_init(None)
        live, embedder = get_live_index(), get_embedder()
        seen = {id(obj) for obj in gc.get_objects()}
        assert id(live) not in seen and id(embedder) not in seen
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
