"""Fixed-window rate limits for pages, on Django's cache (Redis in production).

The API uses DRF throttles with the same rates (``REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']``).
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def rate_limited(request, scope: str) -> bool:
    """Count one action in ``scope``; True when the caller went over the limit."""
    if not settings.COMMUNITY_RATE_LIMITS:
        return False
    limit, period = parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])
    who = f"u{request.user.pk}" if request.user.is_authenticated else f"ip{request.META.get('REMOTE_ADDR', '')}"
    key = f"rl:{scope}:{who}"
    if cache.add(key, 1, timeout=period):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=period)
        return False
    return count > limit
