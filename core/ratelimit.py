"""One rate limiter for pages and the API: fixed windows on Django's cache (Redis in production).

Each action (``scope``: signup, post, vote, contact, search) has one counter per
visitor (the account when signed in, else the IP address), shared by the page
and the API, so switching from a form to the API is no way around a limit. Rates
come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, read at each call so
settings overrides apply; ``COMMUNITY_RATE_LIMITS = False`` turns every limit off.

Pages call ``rate_limited(request, scope)`` where the action happens (after the
form validated, so bad input does not use up the limit); API views set
``throttle_classes = [ScopedThrottle]`` and ``throttle_scope``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
READS = ("GET", "HEAD", "OPTIONS")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/hour"`` -> ``(30, 3600)``: how many actions per how many seconds."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def rate_limited(request, scope: str) -> bool:
    """Count one action in ``scope`` for the visitor behind ``request``; True when it went over the limit."""
    if not settings.COMMUNITY_RATE_LIMITS:
        return False
    who = f"u{request.user.pk}" if request.user.is_authenticated else f"ip{request.META.get('REMOTE_ADDR', '')}"
    return over_limit(f"rl:{scope}:{who}", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])


def over_limit(key: str, rate: str) -> bool:
    """Count one action under ``key`` (any string naming the counter, e.g. a recipient's address) at
    ``rate`` (``"20/hour"``); True when it went over. For limits that are not a visitor's, such as
    outgoing mail per recipient; ``COMMUNITY_RATE_LIMITS`` does not switch these off."""
    limit, period = parse_rate(rate)
    if cache.add(key, 1, timeout=period):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=period)
        return False
    return count > limit


class ScopedThrottle(BaseThrottle):
    """DRF throttle on ``rate_limited``'s counters, for the view's ``throttle_scope``.

    Only writes count, unless the view sets ``throttle_reads = True`` (the search API,
    where every call costs a query embedding).
    """

    def allow_request(self, request, view) -> bool:
        if request.method in READS and not getattr(view, "throttle_reads", False):
            return True
        return not rate_limited(request, view.throttle_scope)
