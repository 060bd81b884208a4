"""``config.env``: every reader takes a missing, empty or blank variable as its default, parses
the rest strictly and names the variable, the value and what it accepts when it refuses one."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool, env_choice, env_dotted_path, env_float, env_int, env_list, env_path, env_rate, env_str,
)

NAME = "GLEANER_TEST_VARIABLE"
BASE = Path("/srv/gleaner")

# (reader, default) for every helper: what an unset, empty or blank variable must give back.
READERS = [
    (lambda: env_str(NAME, "fallback"), "fallback"),
    (lambda: env_choice(NAME, "convex", ("rrf", "convex")), "convex"),
    (lambda: env_bool(NAME, True), True),
    (lambda: env_bool(NAME, False), False),
    (lambda: env_int(NAME, 60, minimum=0), 60),
    (lambda: env_float(NAME, 0.7, minimum=0.0, maximum=1.0), 0.7),
    (lambda: env_list(NAME, ["localhost", "127.0.0.1"]), ["localhost", "127.0.0.1"]),
    (lambda: env_path(NAME, BASE / "var", base=BASE), BASE / "var"),
    (lambda: env_rate(NAME, "30/hour"), "30/hour"),
    (lambda: env_dotted_path(NAME, "search.backends.faiss.FaissVectorBackend"), "search.backends.faiss.FaissVectorBackend"),
]


@pytest.fixture
def env(monkeypatch):
    def set_to(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_to


@pytest.mark.parametrize("value", [None, "", "   ", "\t"], ids=["missing", "empty", "blanks", "tab"])
@pytest.mark.parametrize(("read", "default"), READERS)
def test_missing_or_empty_means_the_default(env, value, read, default):
    env(value)
    assert read() == default


def test_an_empty_security_switch_keeps_its_secure_default(env):
    """The bug that started this: ``SECURE_SSL_REDIRECT=`` read as false turned HTTPS off."""
    env("")
    assert env_bool(NAME, True) is True


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), (" yes ", True), ("1", True), ("on", True),
    ("false", False), ("No", False), ("0", False), ("off", False),
])
def test_bool_reads_the_usual_spellings(env, value, expected):
    env(value)
    assert env_bool(NAME, not expected) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "tru"])
def test_bool_refuses_anything_else(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}='{value}' is not a boolean"):
        env_bool(NAME, True)


def test_str_strips_blanks(env):
    env("  Hearthlink Help  ")
    assert env_str(NAME, "x") == "Hearthlink Help"


def test_int_parses_and_checks_its_range(env):
    env(" 42 ")
    assert env_int(NAME, 0, minimum=1, maximum=100) == 42
    env("0")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=0 must be at least 1"):
        env_int(NAME, 5, minimum=1)
    env("101")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=101 must be at most 100"):
        env_int(NAME, 5, maximum=100)


@pytest.mark.parametrize("value", ["sixty", "1.5", "1e3", "0x10"])
def test_int_refuses_what_is_not_a_whole_number(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env_int(NAME, 60)


def test_float_parses_and_checks_its_range(env):
    env("0.25")
    assert env_float(NAME, 0.7, minimum=0.0, maximum=1.0) == 0.25
    env("1")
    assert env_float(NAME, 0.7, minimum=0.0, maximum=1.0) == 1.0
    env("1.5")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=1.5 must be at most 1.0"):
        env_float(NAME, 0.7, minimum=0.0, maximum=1.0)
    env("-0.1")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=-0.1 must be at least 0.0"):
        env_float(NAME, 0.7, minimum=0.0, maximum=1.0)


@pytest.mark.parametrize(("value", "reason"), [("fast", "is not a number"), ("nan", "is not a finite number"),
                                                ("inf", "is not a finite number")])
def test_float_refuses_what_is_not_a_finite_number(env, value, reason):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=reason):
        env_float(NAME, 1.0, minimum=0.0)


def test_choice_accepts_any_case_and_names_the_choices_when_it_refuses(env):
    env("RRF")
    assert env_choice(NAME, "convex", ("rrf", "convex")) == "rrf"
    env("fancy")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}='fancy': use one of rrf, convex"):
        env_choice(NAME, "convex", ("rrf", "convex"))


def test_list_splits_on_commas_and_drops_blanks(env):
    env(" help.example.com, ,www.example.com ,")
    assert env_list(NAME, []) == ["help.example.com", "www.example.com"]


def test_a_relative_path_is_taken_from_the_project_not_the_working_directory(env, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    env("var")
    assert env_path(NAME, BASE / "other", base=BASE) == BASE / "var"
    env("/data/gleaner")
    assert env_path(NAME, BASE / "var", base=BASE) == Path("/data/gleaner")
    env("~/gleaner")
    assert env_path(NAME, BASE / "var", base=BASE) == Path.home() / "gleaner"


@pytest.mark.parametrize(("value", "expected"), [
    ("30/hour", "30/hour"), (" 600 / minute ", "600/minute"), ("5/h", "5/h"), ("10/DAY", "10/day"),
    ("2/s", "2/s"),
])
def test_rate_reads_a_count_per_period(env, value, expected):
    env(value)
    assert env_rate(NAME, "1/hour") == expected


@pytest.mark.parametrize("value", ["30", "thirty/hour", "30/fortnight", "0/hour", "-1/hour", "30/hour/day", "/hour"])
def test_rate_refuses_what_no_limiter_could_read(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=.* is not a rate: use a count and a period"):
        env_rate(NAME, "30/hour")


def test_dotted_path_reads_a_class_path_and_with_or_none_the_word_none(env):
    env(" search.backends.database.DatabaseKeywordBackend ")
    assert env_dotted_path(NAME, "a.B") == "search.backends.database.DatabaseKeywordBackend"
    env("None")
    assert env_dotted_path(NAME, "a.B", or_none=True) == "none"
    for value in ("None", "faiss please", "search.backends.", "FaissVectorBackend", "search/backends.faiss"):
        env(value)
        with pytest.raises(ImproperlyConfigured, match=f"{NAME}=.* is not a dotted path to a class, e.g. a.B"):
            env_dotted_path(NAME, "a.B")
