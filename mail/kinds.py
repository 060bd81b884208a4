"""Names people read for each kind of mail, on the unsubscribe page ("We will no longer send you …").

Apps name their kinds in their ``AppConfig.ready()`` (``kind_register("notification.answer",
"new answers to questions you follow")``); an unnamed kind is shown as it is spelled.
"""
from __future__ import annotations

_NAMES: dict[str, str] = {"confirmation": "address confirmations"}


def kind_register(kind: str, name: str) -> None:
    """Name ``kind`` for people (a plural phrase that follows "send you")."""
    _NAMES[kind] = name


def kind_name(kind: str) -> str:
    return _NAMES.get(kind, f"“{kind}” e-mails")
