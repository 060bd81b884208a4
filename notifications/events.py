"""The notification events, who they are for, and each one's default delivery.

Plain data, so the preferences page, the fan-out and the README read one table.
A delivery is one of ``instant``, ``daily``, ``weekly`` (digests) or ``off``, chosen
per event for the inbox and for e-mail separately.
"""
from __future__ import annotations

from dataclasses import dataclass

INSTANT, DAILY, WEEKLY, OFF = "instant", "daily", "weekly", "off"
DELIVERIES = (INSTANT, DAILY, WEEKLY, OFF)
DELIVERY_LABELS = {INSTANT: "Instantly", DAILY: "Daily digest", WEEKLY: "Weekly digest", OFF: "Off"}


@dataclass(frozen=True)
class Event:
    code: str
    label: str
    audience: str  # "followers" or "editors": who may choose it on the preferences page
    inbox: str
    email: str


EVENTS: tuple[Event, ...] = (
    Event("answer_new", "A new answer to a question you follow", "followers", INSTANT, DAILY),
    Event("answer_accepted", "An answer accepted on a question you follow", "followers", INSTANT, DAILY),
    Event("comment_new", "A comment on a question you follow", "followers", INSTANT, OFF),
    Event("question_in_tag", "A new question in a topic you follow", "followers", INSTANT, WEEKLY),
    Event("article_updated", "An article you follow is updated, or reviewed and re-published", "followers",
          INSTANT, WEEKLY),
    Event("question_in_article", "Your question is now a knowledge-base article", "followers", INSTANT, INSTANT),
    # Support mails the agent's reply itself (with its reply-to address); this mail would repeat it.
    Event("contact_reply", "An agent replied to your support request", "followers", INSTANT, OFF),
    Event("article_flagged", "An agent flagged an article as wrong or outdated", "editors", INSTANT, INSTANT),
    Event("article_needs_review", "An article was marked as needing review", "editors", INSTANT, DAILY),
)
EVENT_BY_CODE = {event.code: event for event in EVENTS}
EVENT_CHOICES = [(event.code, event.label) for event in EVENTS]
DELIVERY_CHOICES = [(code, DELIVERY_LABELS[code]) for code in DELIVERIES]
