"""``.env.example``: it lists every variable the code reads and nothing else, and exported as it
stands (the way its header suggests) it starts Gleaner with safe values."""
from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".env.example"
APPS = ("config", "core", "community", "harvest", "search", "kb", "support")
READERS = {"env_str", "env_choice", "env_bool", "env_int", "env_float", "env_list", "env_path", "env_rate"}
GOOD_KEY = "k3Jq9-vV0xZ_pW7sL2nR8tY4uB6cD1eF5gH0iJ3kL9mN2oP7qR4sT8uV1wX6yZ0a"


def variables_read_by_the_code() -> set[str]:
    names = set()
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in READERS
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    names.add(node.args[0].value)
    return names


def example_lines() -> list[str]:
    return EXAMPLE.read_text().splitlines()


def test_every_variable_the_code_reads_is_listed_and_nothing_else():
    listed = {match.group(1) for line in example_lines() if (match := re.match(r"#? ?([A-Z][A-Z0-9_]*)=", line))}
    read = variables_read_by_the_code()
    assert read, "found no variable read through config.env"
    assert read - listed == set(), "read by the code but missing from .env.example"
    assert listed - read == set(), "listed in .env.example but read by nothing"


def test_no_variable_is_set_to_an_empty_placeholder_that_hides_a_secure_default():
    """An empty value now means the default, but the file should say what the default is: the
    variables whose default follows DEBUG are commented out rather than left empty."""
    values = dict(line.split("=", 1) for line in example_lines() if line and not line.startswith("#"))
    for name in ("SECRET_KEY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                 "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "CELERY_TASK_ALWAYS_EAGER"):
        assert name not in values, f"{name} should be commented out with its default named"


def test_exported_as_it_stands_for_production_the_site_stays_hardened(monkeypatch):
    """Export every line, switch DEBUG off and give a key, as an operator would: HTTPS hardening
    must be on (empty values used to turn it off) and every other value must be accepted."""
    for line in example_lines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    settings = runpy.run_path(str(REPO / "config" / "settings.py"))
    assert settings["SECURE_SSL_REDIRECT"] and settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["DATA_DIR"] == REPO / "var" and settings["SEARCH_INDEX_DIR"] == REPO / "var" / "index"
