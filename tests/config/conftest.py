"""Config test fixtures: the variables Gleaner reads, and a process environment without them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = ("config", "core", "mail", "community", "harvest", "search", "kb", "support")
READERS = {"env_str", "env_choice", "env_bool", "env_int", "env_float", "env_list", "env_path", "env_rate",
           "env_dotted_path", "env_email_url"}
# A key Django's own deploy check accepts: long, varied, not a generated development key.
GOOD_KEY = "k3Jq9-vV0xZ_pW7sL2nR8tY4uB6cD1eF5gH0iJ3kL9mN2oP7qR4sT8uV1wX6yZ0a"


def variables_read_by_the_code() -> set[str]:
    """Every environment variable read through ``config.env``'s readers, found in the source."""
    names = set()
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in READERS
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    names.add(node.args[0].value)
    return names


@pytest.fixture
def bare_env(monkeypatch):
    """None of Gleaner's variables set (test runs set some, e.g. DATABASE_URL or SEARCH_INDEX_DIR)."""
    for name in variables_read_by_the_code():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
