"""Strict readers for environment variables: a bad value fails loudly at start-up.

A variable that is missing, empty or only blanks means "the default", for every
reader: exporting ``.env.example`` as it stands, or ``FOO=`` in a process manager,
never switches something off by accident. Every other value must parse, and lie
in its range or among its choices; if not, ``ImproperlyConfigured`` names the
variable, the value and what would be accepted.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# A rate as DRF's throttles and ``core``'s page limiter read it: "30/hour", "600/minute", "5/h".
_RATE = re.compile(r"^([0-9]+)\s*/\s*([0-9]*)\s*(s|sec|second|m|min|minute|h|hour|d|day)$")


# A dotted path to a class, as settings name pluggable parts: "package.module.Class".
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def _raw(name: str) -> str | None:
    """The variable's value, or None when it is missing, empty or blank."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    return raw


def _check_range(name: str, value: int | float, minimum, maximum) -> None:
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} must be at most {maximum}")


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw.strip()


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of ``choices`` (compared case-insensitively, returned as the choice is spelled)."""
    choices = list(choices)
    raw = _raw(name)
    if raw is None:
        return default
    by_lower = {choice.lower(): choice for choice in choices}
    try:
        return by_lower[raw.strip().lower()]
    except KeyError:
        raise ImproperlyConfigured(f"{name}={raw!r}: use one of {', '.join(choices)}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    _check_range(name, value, minimum, maximum)
    return value


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number")
    _check_range(name, value, minimum, maximum)
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated items; blanks around and between commas are dropped."""
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path, *, base: Path) -> Path:
    """A folder or file; a relative value is taken from ``base`` (the project), not from
    wherever the process happened to start, so every process agrees on it."""
    raw = _raw(name)
    if raw is None:
        return default
    return (base / Path(raw.strip()).expanduser()).resolve()


def env_rate(name: str, default: str) -> str:
    """A rate limit such as ``30/hour`` or ``10/15m`` (per second, minute, hour or day, or a number of them)."""
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    match = _RATE.match(value)
    if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(2)) < 1):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use a count and a period, e.g. 30/hour, 600/minute, 5/day, 10/15m"
        )
    return f"{int(match.group(1))}/{match.group(2)}{match.group(3)}"


def env_dotted_path(name: str, default: str, *, or_none: bool = False) -> str:
    """A dotted path to a class such as ``search.backends.faiss.FaissVectorBackend`` (with ``or_none``,
    also the word ``none``). Only its shape is checked here; the class is loaded where it is used."""
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip()
    if or_none and value.lower() == "none":
        return "none"
    if not _DOTTED.match(value):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a dotted path to a class, e.g. {default}" + (' (or "none")' if or_none else "")
        )
    return value


# Schemes ``EMAIL_URL`` accepts, and the Django e-mail backend each one means.
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def env_email_url(name: str, default: str) -> dict:
    """Django's ``EMAIL_*`` settings from one URL, as a dict to merge into settings.

    - ``smtp://user:password@host:port?tls=true&timeout=10``: SMTP (port 25 by default;
      ``tls=true`` upgrades with STARTTLS, as on port 587); user and password percent-encoded;
    - ``smtps://user:password@host:port``: SMTP over TLS from the first byte (port 465 by default);
    - ``console://``: print each mail on standard output; ``file:///var/mail/gleaner``: one file
      per mail in that folder; ``locmem://``: kept in memory (tests).

    Any other scheme, a missing SMTP host, a port out of range or an unknown query parameter is
    refused, naming the variable (the password never appears in the message).
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    raw = _raw(name)
    value = (raw if raw is not None else default).strip()
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid e-mail URL: {exc}") from None
    scheme = url.scheme.lower()
    if scheme not in _EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(s + '://' for s in _EMAIL_BACKENDS)} (got {scheme or 'none'!r})"
        )
    settings = {"EMAIL_BACKEND": _EMAIL_BACKENDS[scheme]}
    query = parse_qs(url.query, keep_blank_values=True)
    allowed = {"smtp": {"tls", "timeout"}, "smtps": {"timeout"}}.get(scheme, set())
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise ImproperlyConfigured(
            f"{name}: unknown parameter {', '.join(unknown)} for {scheme}:// "
            f"(accepted: {', '.join(sorted(allowed)) or 'none'})"
        )
    if scheme == "file":
        if not url.path or url.path == "/":
            raise ImproperlyConfigured(f"{name}: give the folder for mail files, e.g. file:///var/mail/gleaner")
        settings["EMAIL_FILE_PATH"] = unquote(url.path)
        return settings
    if scheme not in ("smtp", "smtps"):
        return settings
    if not url.hostname:
        raise ImproperlyConfigured(f"{name}: an SMTP URL needs a host, e.g. smtp://user:password@mail.example.com:587")
    settings.update(
        EMAIL_HOST=url.hostname,
        EMAIL_PORT=port or (465 if scheme == "smtps" else 25),
        EMAIL_HOST_USER=unquote(url.username or ""),
        EMAIL_HOST_PASSWORD=unquote(url.password or ""),
        EMAIL_USE_SSL=scheme == "smtps",
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=None,
    )
    if "tls" in query:
        tls = query["tls"][-1].strip().lower()
        if tls not in _TRUE | _FALSE:
            raise ImproperlyConfigured(f"{name}: tls={tls!r} is not a boolean (use true or false)")
        settings["EMAIL_USE_TLS"] = tls in _TRUE
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            raise ImproperlyConfigured(f"{name}: timeout={query['timeout'][-1]!r} is not a number of seconds") from None
        if not 0 < timeout <= 600:
            raise ImproperlyConfigured(f"{name}: timeout={timeout} must be above 0 and at most 600 seconds")
        settings["EMAIL_TIMEOUT"] = timeout
    return settings
