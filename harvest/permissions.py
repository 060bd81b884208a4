"""Who may see and run harvesting. One place, so the permission matrix is testable.

editor  sees sources, run history and each run's errors (``harvest.view_harvestrun``)
        with ``harvest.manage_source`` (given per account in the admin): also adds, tests,
        runs and schedules sources and retries failed items at ``/harvest/``
admin   superuser: all of it, in the pages and in the Django admin

Each ``check_*`` raises ``NotAllowed`` with a readable reason; each ``can_*`` returns a bool.
"""
from __future__ import annotations

from core.errors import NotAllowed


def _has(user, perm: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(perm))


def can_view_harvest(user) -> bool:
    return _has(user, "harvest.view_harvestrun")


def check_can_view_harvest(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to see harvesting.", code="not_authenticated")
    if not can_view_harvest(user):
        raise NotAllowed("Only editors can see harvesting.")


def can_run_source(user) -> bool:
    """Starting a harvest fetches from outside sites: admins only (``harvest.add_harvestrun``)."""
    return _has(user, "harvest.add_harvestrun")


def check_can_run_source(user) -> None:
    if not can_run_source(user):
        raise NotAllowed("Only admins can start a harvest.")


def can_manage_sources(user) -> bool:
    """Add, test, run and schedule sources and retry failed items from the site: admins, and
    editors given ``harvest.manage_source``. These fetch from outside sites or read server files."""
    return _has(user, "harvest.manage_source") or can_run_source(user)


def check_can_manage_sources(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed("Sign in to manage harvesting.", code="not_authenticated")
    if not can_manage_sources(user):
        raise NotAllowed("Only admins, and editors allowed to manage sources, can do that.")
