"""Django's SQLite backend, which also creates the database file's folder on first connect.

The embedded database lives in ``GLEANER_DATA_DIR``; settings do no work at import, so
a fresh data folder is made here, where the file is written (tests' databases too).
"""
from __future__ import annotations

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params["database"])
        if not self.creation.is_in_memory_db(name) and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
