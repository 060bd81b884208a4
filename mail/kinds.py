"""Kinds of mail: the names people read for each (on the unsubscribe page), and who decides what
an unsubscribe link of a kind turns off.

Apps name their kinds in their ``AppConfig.ready()`` (``kind_register("notification.answer",
"new answers to questions you follow")``); an unnamed kind is shown as it is spelled.

By default an unsubscribe link stops its one kind for its address (a ``mail.Unsubscription``).
An app that keeps the choice elsewhere (notifications keep it in each account's preferences)
registers an ``UnsubscribeHandler`` for its kinds' prefix, in its ``ready()``; the one
unsubscribe page (``mail.views.unsubscribe``) then asks it. This is the hook by which a higher
app takes part without ``mail`` importing it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mail.tokens import UnsubscribeLink

_NAMES: dict[str, str] = {"confirmation": "address confirmations"}
_HANDLERS: dict[str, UnsubscribeHandler] = {}


def kind_register(kind: str, name: str) -> None:
    """Name ``kind`` for people (a plural phrase that follows "send you")."""
    _NAMES[kind] = name


def kind_name(kind: str) -> str:
    return _NAMES.get(kind, f"“{kind}” e-mails")


class UnsubscribeHandler(Protocol):
    """What an unsubscribe link of some kinds turns off, and how to undo it. ``link.data`` is what
    the app put in the link (``mail.tokens.unsubscribe_url(..., data=…)``), signed."""

    def describe(self, link: UnsubscribeLink) -> list[str]:
        """What the link turns off, each a phrase after "We will no longer send" ("e-mails about …");
        [] when the link no longer applies (its account is gone): the page says the link does not work."""

    def stop(self, link: UnsubscribeLink) -> dict:
        """Turn it off; returns what ``undo`` needs to put back exactly what was on (JSON-able)."""

    def undo(self, link: UnsubscribeLink, state: dict) -> None:
        """Put back what ``stop`` turned off (``state`` is what it returned)."""

    def manage_url(self, link: UnsubscribeLink) -> str:
        """A page where the person chooses more finely (sign-in may be needed), or ""."""


def unsubscribe_handler_register(prefix: str, handler: UnsubscribeHandler) -> None:
    """Let ``handler`` decide for every kind starting with ``prefix`` (``"notification."``)."""
    _HANDLERS[prefix] = handler


def unsubscribe_handler(kind: str) -> UnsubscribeHandler | None:
    """The handler registered for ``kind`` (the longest matching prefix), or None for the default."""
    matches = [prefix for prefix in _HANDLERS if kind.startswith(prefix)]
    return _HANDLERS[max(matches, key=len)] if matches else None
