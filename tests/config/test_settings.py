"""``config/settings.py``: safe defaults, a refused weak ``SECRET_KEY``, range and choice checks
that stop start-up with a clear message, nothing done at import, and every setting the code
reads declared there."""
from __future__ import annotations

import ast
import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.config.conftest import APPS, GOOD_KEY, REPO

SETTINGS = REPO / "config" / "settings.py"


@pytest.fixture
def load(bare_env):
    """The settings module run afresh with only these of Gleaner's variables set (Django's own
    settings stay as they are)."""

    def run(**env: str) -> dict:
        for name, value in env.items():
            bare_env.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return run


def test_with_nothing_set_gleaner_runs_embedded(load):
    settings = load()
    assert settings["DEBUG"] is True and settings["SECURE_SSL_REDIRECT"] is False
    assert settings["DATABASES"]["default"]["NAME"] == REPO / "var" / "gleaner.sqlite3"


def test_production_without_a_secret_key_is_refused_with_how_to_make_one(load):
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY must be set when DEBUG is off.*token_urlsafe"):
        load(DEBUG="false")


@pytest.mark.parametrize("key", [
    "change-me",  # short
    "bench-" + "0123456789abcdef" * 2,  # 38 characters
    "a" * 64,  # long, but one character
    "django-insecure-" + GOOD_KEY,  # Django's marker of a generated development key
])
def test_production_with_a_weak_secret_key_is_refused(load, key):
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY is too weak for DEBUG=false.*token_urlsafe\(50\)"):
        load(DEBUG="false", SECRET_KEY=key)


def test_a_weak_key_is_fine_while_debugging(load):
    assert load(DEBUG="true", SECRET_KEY="change-me")["SECRET_KEY"] == "change-me"


def test_production_with_empty_hardening_variables_stays_hardened(load):
    """``SECURE_SSL_REDIRECT=`` (as an exported template leaves it) once switched HTTPS off."""
    empty = {name: "" for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                                   "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")}
    settings = load(DEBUG="false", SECRET_KEY=GOOD_KEY, **empty)
    assert settings["SECURE_SSL_REDIRECT"] and settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_HSTS_SECONDS"] == 31536000 and settings["SECURE_HSTS_PRELOAD"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SEARCH_ALPHA", "1.5", "SEARCH_ALPHA=1.5 must be at most 1.0"),
    ("SEARCH_ALPHA", "-0.2", "SEARCH_ALPHA=-0.2 must be at least 0.0"),
    ("SEARCH_FUSION", "best", "SEARCH_FUSION='best': use one of rrf, convex, dense, keyword"),
    ("SEARCH_INDEX_INTERVAL", "0", "SEARCH_INDEX_INTERVAL=0.0 must be at least 0.1"),
    ("SEARCH_HNSW_THRESHOLD", "0", "SEARCH_HNSW_THRESHOLD=0 must be at least 1"),
    ("KB_TOPIC_THRESHOLD", "65", "KB_TOPIC_THRESHOLD=65.0 must be at most 1.0"),
    ("KB_CLUSTER_MIN_SIZE", "1", "KB_CLUSTER_MIN_SIZE=1 must be at least 2"),
    ("KB_UNMET_RELEVANCE", "1.2", "KB_UNMET_RELEVANCE=1.2 must be at most 1.0"),
    ("SEARCH_RELEVANCE_FLOOR", "-0.1", "SEARCH_RELEVANCE_FLOOR=-0.1 must be at least 0.0"),
    ("KB_UNMET_SIMILARITY", "close", "KB_UNMET_SIMILARITY='close' is not a number"),
    ("RATE_POST", "lots", "RATE_POST='lots' is not a rate"),
    ("RATE_SEARCH", "600", "RATE_SEARCH='600' is not a rate"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose': use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("HARVEST_TIMEOUT", "0", "HARVEST_TIMEOUT=0.0 must be at least 0.1"),
    ("HARVEST_HOST_DELAY", "-1", "HARVEST_HOST_DELAY=-1.0 must be at least 0.0"),
    ("DB_CONN_MAX_AGE", "-5", "DB_CONN_MAX_AGE=-5 must be at least 0"),
    ("CELERY_TASK_TIME_LIMIT", "60", "CELERY_TASK_TIME_LIMIT=60 must be above CELERY_TASK_SOFT_TIME_LIMIT=1800"),
    ("BRAND_PRIMARY_COLOR", "red; } body { display: none", "BRAND_PRIMARY_COLOR=.* is not a colour"),
    ("BRAND_LOGO_URL", "javascript:alert(1)", "BRAND_LOGO_URL=.*: use an http\\(s\\) address or a path"),
    ("DEBUG", "sometimes", "DEBUG='sometimes' is not a boolean"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(load, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load(**{name: value})


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SEARCH_FUSION", "RRF", "rrf"),
    ("LOG_LEVEL", "warning", "WARNING"),
    ("RATE_POST", "5/minute", "5/minute"),
    ("BRAND_ACCENT_COLOR", "#fa0", "#fa0"),
    ("BRAND_LOGO_URL", "/static/logo.svg", "/static/logo.svg"),
])
def test_good_values_are_read_as_given(load, name, value, expected):
    settings = load(**{name: value})
    found = settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["post"] if name == "RATE_POST" else settings[name]
    assert found == expected


def test_loading_settings_creates_no_folder(load, tmp_path):
    data = tmp_path / "fresh" / "data"
    settings = load(GLEANER_DATA_DIR=str(data))
    assert settings["DATA_DIR"] == data and settings["SEARCH_INDEX_DIR"] == data / "index"
    assert not (tmp_path / "fresh").exists()


def _app_modules():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def test_every_setting_the_code_reads_is_declared_in_settings(load):
    """Code reads ``settings.X`` directly; a setting only read through ``getattr(settings, "X",
    default)`` hid its default from operators and from every range check."""
    from django.conf import global_settings

    declared = set(load()) | {name for name in dir(global_settings) if name.isupper()}
    hidden, undeclared = [], []
    for path, tree in _app_modules():
        where = path.relative_to(REPO)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings"):
                hidden.append(f"{where}:{node.lineno}")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings"
                    and node.attr.isupper() and node.attr not in declared):
                undeclared.append(f"{where}:{node.lineno} settings.{node.attr}")
    assert not hidden, f"settings read through getattr with a hidden default: {hidden}"
    assert not undeclared, f"settings read but not declared in config/settings.py: {undeclared}"


def test_beat_messages_expire_and_clustering_has_its_own_queue(load):
    settings = load(KB_CLUSTERING_QUEUE="slow-work")
    for name, entry in settings["CELERY_BEAT_SCHEDULE"].items():
        # A tick nobody took in time is dropped: a busy worker finds one, not hundreds.
        assert entry["options"]["expires"] > 0, name
        if isinstance(entry["schedule"], (int, float)):  # a crontab entry sets its own expiry
            assert entry["options"]["expires"] <= entry["schedule"], name
    routes = settings["CELERY_TASK_ROUTES"]
    assert routes["kb.tasks.cluster_threads"] == routes["kb.tasks.cluster_pending"] == {"queue": "slow-work"}
    assert settings["CELERY_TASK_IGNORE_RESULT"] is True and settings["CELERY_RESULT_BACKEND"] is None
