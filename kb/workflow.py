"""The editorial workflow as data: which status may follow which, and who may make the move.

draft ──request_review──▶ in_review ──approve──▶ approved ──publish──▶ published
  ▲                          │                                        │   │
  └────────request_changes───┘◀──────────────── unpublish ────────────┘   archive
archived ──reopen──▶ draft
"""
from __future__ import annotations

from kb.models import Article

S = Article.Status

# action -> (allowed from, to, permission needed)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "request_review": (frozenset({S.DRAFT}), S.IN_REVIEW, "kb.edit_article"),
    "request_changes": (frozenset({S.IN_REVIEW, S.APPROVED}), S.DRAFT, "kb.publish_article"),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED, "kb.publish_article"),
    "publish": (frozenset({S.APPROVED, S.IN_REVIEW, S.DRAFT}), S.PUBLISHED, "kb.publish_article"),
    "unpublish": (frozenset({S.PUBLISHED}), S.DRAFT, "kb.publish_article"),
    "archive": (frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.PUBLISHED}), S.ARCHIVED, "kb.publish_article"),
    "reopen": (frozenset({S.ARCHIVED}), S.DRAFT, "kb.edit_article"),
}


class TransitionError(ValueError):
    pass


def next_status(current: str, action: str) -> str:
    """The status ``action`` leads to from ``current``, or ``TransitionError`` saying why not."""
    if action not in TRANSITIONS:
        raise TransitionError(f"Unknown action {action!r}; known: {', '.join(TRANSITIONS)}.")
    allowed, target, _ = TRANSITIONS[action]
    if current not in allowed:
        names = ", ".join(sorted(Article.Status(s).label.lower() for s in allowed))
        raise TransitionError(
            f"Cannot {action.replace('_', ' ')} an article that is {Article.Status(current).label.lower()} "
            f"(only from: {names})."
        )
    return target


def permission_for(action: str) -> str:
    return TRANSITIONS[action][2]


def actions_from(current: str) -> list[str]:
    return [action for action, (allowed, _, _) in TRANSITIONS.items() if current in allowed]
