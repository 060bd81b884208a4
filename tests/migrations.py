"""Data migration tests: take the test database back to an older schema, fill it through the
historical models, then forward again."""
from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets) -> MigrationExecutor:
    """Migrate the test database to ``targets`` (``[(app, migration name)]``); the executor, whose
    ``loader.project_state(targets).apps`` holds the historical models."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def migrate_latest() -> MigrationExecutor:
    """Migrate the test database forward to every app's latest migration."""
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
