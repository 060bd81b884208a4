"""What the one-click unsubscribe link of a notification mail turns off: e-mail, in the account's
preferences, for the events the mail was about (a digest: every event it listed).

Registered with the mail layer for the ``notification.`` kinds (``mail.kinds``), so the one
unsubscribe page (``mail.views.unsubscribe``) serves notification mails too while ``mail``
imports nothing from here. A link carries ``{"u": account id, "e": [event codes]}``, signed.
Links in mails sent before this (``/notifications/unsubscribe/<token>/``, signed with
``notifications.signing``) are turned into the page's own token by ``unsubscribe_token_from_old``.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from mail.tokens import UnsubscribeLink, unsubscribe_token
from notifications.events import EVENT_BY_CODE
from notifications.selectors import preferences_of
from notifications.services import preference_set, preference_unsubscribe
from notifications.services.delivery import KIND_PREFIX
from notifications.signing import unsubscribe_data


def unsubscribe_token_from_old(*, user, events: list[str]) -> str:
    """The one page's token for what an old notifications link named."""
    kind = KIND_PREFIX + (events[0] if len(events) == 1 else "digest")
    return unsubscribe_token(address=user.email, kind=kind, data=unsubscribe_data(user=user, events=events))


class NotificationUnsubscribe:
    """``mail.kinds.UnsubscribeHandler`` for ``notification.`` kinds."""

    @staticmethod
    def _target(link: UnsubscribeLink):
        named, user_id = link.data.get("e"), link.data.get("u")
        events = [e for e in named if e in EVENT_BY_CODE] if isinstance(named, list) else []
        if not events or not isinstance(user_id, int):
            return None, []
        return get_user_model().objects.filter(pk=user_id, is_active=True).first(), events

    def describe(self, link: UnsubscribeLink) -> list[str]:
        user, events = self._target(link)
        if user is None:
            return []
        return [f"e-mails about “{EVENT_BY_CODE[event].label}”" for event in events]

    def stop(self, link: UnsubscribeLink) -> dict:
        user, events = self._target(link)
        if user is None:
            return {}
        before = preferences_of(user=user)
        for event in events:
            preference_unsubscribe(user=user, event=event)
        return {"email": {event: before[event][1] for event in events}}

    def undo(self, link: UnsubscribeLink, state: dict) -> None:
        user, events = self._target(link)
        if user is None:
            return
        for event, email in (state.get("email") or {}).items():
            if event in events:
                preference_set(user=user, event=event, email=email)

    def manage_url(self, link: UnsubscribeLink) -> str:
        return reverse("notifications:preferences")
