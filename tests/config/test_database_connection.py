"""The embedded SQLite database keeps its connection across requests, as a ``DATABASE_URL`` one
does: opening it (SQLite's open, the WAL pragmas, Django's function registrations) twice a
search cost 2-3 ms over HTTP. ``DB_CONN_MAX_AGE=0`` still opens one per request."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Two requests as Django's handler frames them (its request_started / request_finished signals
# close obsolete connections), each reading the database; prints whether one connection served both.
TWO_REQUESTS = """
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.backends.signals import connection_created
opened = []
connection_created.connect(lambda sender, connection, **kwargs: opened.append(connection.alias))
for _ in range(2):
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    request_finished.send(sender=None)
print("same" if len(opened) == 1 else "new")
"""


def requests_share_a_connection(tmp_path: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_CONN_MAX_AGE")}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GLEANER_DATA_DIR": str(tmp_path), **env})
    done = subprocess.run([sys.executable, "-c", TWO_REQUESTS], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("env", "expected"), [({}, "same"), ({"DB_CONN_MAX_AGE": "0"}, "new")])
def test_the_embedded_database_keeps_its_connection_across_requests(tmp_path, env, expected):
    assert requests_share_a_connection(tmp_path, **env) == expected


def test_a_fresh_data_folder_is_made_when_the_database_is_first_opened(tmp_path):
    """Settings touch no disk at import; the embedded database makes its own folder."""
    data = tmp_path / "new" / "data"
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update({"GLEANER_DATA_DIR": str(data), "LOG_LEVEL": "WARNING"})
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=environ,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr[-3000:]
    assert not data.exists(), "manage.py check made the data folder: settings do work at import"
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO,
                             env=environ, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    assert (data / "gleaner.sqlite3").is_file()
