"""One rate limiter for pages and the API: fixed windows on Django's cache (Redis in production).

Each action (``scope``: signup, post, vote, contact, search) has one counter per
visitor (the account when signed in, else the client's address), shared by the
page and the API, so switching from a form to the API is no way around a limit.
Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` ("30/hour", "10/15m"),
read at each call so settings overrides apply; ``COMMUNITY_RATE_LIMITS = False``
turns every limit off.

Pages call ``rate_limited(request, scope)`` where the action happens (after the
form validated, so bad input does not use up the limit) and answer 429
(``TOO_MANY_REQUESTS``) when it is over; API views set
``throttle_classes = [ScopedThrottle]`` and ``throttle_scope``.

Signing in (the login page and the token API) counts failed attempts per account
and per client (``login_blocked``/``login_failed``/``login_succeeded``): over
either limit, no password is checked until the window ends.

The client's address is DRF's rule with ``NUM_PROXIES`` (the ``TRUSTED_PROXIES``
setting): with none, the connection's address; behind N proxies, the N-th address
from the right of ``X-Forwarded-For``, the one the nearest trusted proxy saw. A
client cannot pick its own address by sending the header.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])")
READS = ("GET", "HEAD", "OPTIONS")
TOO_MANY_REQUESTS = 429


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/hour"`` -> ``(30, 3600)``, ``"10/15m"`` -> ``(10, 900)``: how many actions per how many seconds."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"not a rate: {rate!r}")
    count, times, unit = match.groups()
    return int(count), int(times or 1) * _PERIODS[unit]


def _rate(scope: str) -> tuple[int, int]:
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])


def client_address(request) -> str:
    """The client's address under ``TRUSTED_PROXIES`` (DRF's ``get_ident`` with ``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request) or ""


def _visitor(request) -> str:
    return f"u{request.user.pk}" if request.user.is_authenticated else f"ip{client_address(request)}"


def _hit(key: str, period: int) -> int:
    """Count one in ``key``'s window (opened by the first hit, ``period`` seconds long); the new count."""
    if cache.add(key, 1, timeout=period):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=period)
        return 1


def rate_limited(request, scope: str) -> bool:
    """Count one action in ``scope`` for the visitor behind ``request``; True when it went over the limit."""
    if not settings.COMMUNITY_RATE_LIMITS:
        return False
    limit, period = _rate(scope)
    return _hit(f"rl:{scope}:{_visitor(request)}", period) > limit


def over_limit(key: str, rate: str) -> bool:
    """Count one action under ``key`` (any string naming the counter, e.g. a recipient's address) at
    ``rate`` (``"20/hour"``); True when it went over. For limits that are not a visitor's, such as
    outgoing mail per recipient; ``COMMUNITY_RATE_LIMITS`` does not switch these off."""
    limit, period = parse_rate(rate)
    return _hit(key, period) > limit


# --- signing in ---------------------------------------------------------------------------------

def _login_counters(request, username: str) -> list[tuple[str, str]]:
    return [("login_account", f"rl:login_account:{(username or '').strip().lower()}"),
            ("login_client", f"rl:login_client:{client_address(request)}")]


def login_wait_seconds() -> int:
    """The longest lockout window, for Retry-After and the message."""
    return max(_rate("login_account")[1], _rate("login_client")[1])


def login_blocked_message() -> str:
    minutes = max(1, round(login_wait_seconds() / 60))
    return (f"Too many failed sign-ins for this account or from your network. "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again.")


def login_blocked(request, username: str) -> bool:
    """True when the account or the client has used up its failed sign-ins for the window."""
    if not settings.COMMUNITY_RATE_LIMITS:
        return False
    return any((cache.get(key) or 0) >= _rate(scope)[0] for scope, key in _login_counters(request, username))


def login_failed(request, username: str) -> None:
    """Count a wrong password (or unknown account) against the account and the client."""
    if settings.COMMUNITY_RATE_LIMITS:
        for scope, key in _login_counters(request, username):
            _hit(key, _rate(scope)[1])


def login_succeeded(request, username: str) -> None:
    """The account's owner got in: its failures start again from nought (the client's stay)."""
    cache.delete(_login_counters(request, username)[0][1])


class ScopedThrottle(BaseThrottle):
    """DRF throttle on ``rate_limited``'s counters, for the view's ``throttle_scope``.

    Only writes count, unless the view sets ``throttle_reads = True`` (the search API,
    where every call costs a query embedding).
    """

    def allow_request(self, request, view) -> bool:
        if request.method in READS and not getattr(view, "throttle_reads", False):
            return True
        return not rate_limited(request, view.throttle_scope)
