"""``.env.example``: it lists every variable the code reads and nothing else, and exported as it
stands (the way its header suggests) it starts Gleaner with safe values."""
from __future__ import annotations

import re
import runpy

from tests.config.conftest import GOOD_KEY, REPO, variables_read_by_the_code

EXAMPLE = REPO / ".env.example"


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


def test_exported_as_it_stands_for_production_the_site_stays_hardened(bare_env):
    """Export every line, switch DEBUG off and give a key, as an operator would: HTTPS hardening
    must be on (empty values used to turn it off) and every other value must be accepted."""
    for line in example_lines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            bare_env.setenv(name, value)
    bare_env.setenv("DEBUG", "false")
    bare_env.setenv("SECRET_KEY", GOOD_KEY)
    settings = runpy.run_path(str(REPO / "config" / "settings.py"))
    assert settings["SECURE_SSL_REDIRECT"] and settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["DATA_DIR"] == REPO / "var" and settings["SEARCH_INDEX_DIR"] == REPO / "var" / "index"
