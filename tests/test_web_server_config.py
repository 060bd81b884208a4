"""The production gunicorn config (``config/gunicorn_conf.py``): it loads, refuses bad values
clearly, and its warm-up never keeps a worker from starting."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def check_config(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GUNICORN), "--check-config", "-c", "python:config.gunicorn_conf", "config.wsgi"],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def test_the_production_config_loads():
    done = check_config()
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("value", ["soon", "0"])
def test_a_bad_timeout_is_refused_with_a_clear_message(value):
    done = check_config(GUNICORN_TIMEOUT=value)
    assert done.returncode != 0
    assert "GUNICORN_TIMEOUT must be" in done.stderr + done.stdout


@pytest.mark.django_db
def test_warm_up_without_an_index_logs_and_lets_the_worker_start(caplog):
    from config.gunicorn_conf import post_worker_init

    with caplog.at_level(logging.WARNING, logger="gleaner.web"):
        post_worker_init(None)  # no index was built in this test's index directory
    assert "search not warmed up" in caplog.text
