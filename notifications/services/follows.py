"""Following and unfollowing questions, articles, tags and contacts."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from notifications.models import Follow
from notifications.selectors import target_field


@transaction.atomic
def follow_create(*, user, target, reason: str = Follow.Reason.CHOSEN) -> Follow:
    """Follow ``target`` (idempotent: an existing follow is returned as it is).

    Assumes ``check_can_follow(user, target)`` passed, or that ``user`` wrote the target
    (the automatic follows of what one asked, answered or contacted about).
    """
    field = target_field(target)
    existing = Follow.objects.filter(user=user, **{field: target}).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Follow.objects.create(user=user, reason=reason, **{field: target})
    except IntegrityError:  # the same follow made at the same moment (a double click)
        return Follow.objects.get(user=user, **{field: target})


@transaction.atomic
def follow_delete(*, user, target=None, follow: Follow | None = None) -> bool:
    """Stop following ``target`` (or remove ``follow``, which must be ``user``'s); False when there was none."""
    if follow is not None:
        deleted, _ = Follow.objects.filter(pk=follow.pk, user=user).delete()
    else:
        deleted, _ = Follow.objects.filter(user=user, **{target_field(target): target}).delete()
    return bool(deleted)
