"""Follows, notifications and delivery preferences.

A ``Follow`` ties a user to one thing: a question (thread), an article, a tag or a
support contact (explicit foreign keys, exactly one set). A ``Notification`` is one
event for one recipient; it carries its delivery for the inbox and for e-mail, copied
from the recipient's ``Preference`` when it was made: ``shown_at`` is when it appears in
the inbox (at once, or when its digest goes out), ``emailed_at`` when it was mailed.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.events import DELIVERY_CHOICES, EVENT_CHOICES, INSTANT, OFF

TARGETS = ("thread", "article", "tag", "contact")


class Follow(models.Model):
    class Reason(models.TextChoices):
        CHOSEN = "chosen", "Followed"
        ASKED = "asked", "You asked it"
        ANSWERED = "answered", "You answered it"
        CONTACTED = "contacted", "Your request"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    thread = models.ForeignKey("community.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey("kb.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("community.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("support.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.CHOSEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(thread__isnull=False, article__isnull=True, tag__isnull=True, contact__isnull=True)
                    | Q(thread__isnull=True, article__isnull=False, tag__isnull=True, contact__isnull=True)
                    | Q(thread__isnull=True, article__isnull=True, tag__isnull=False, contact__isnull=True)
                    | Q(thread__isnull=True, article__isnull=True, tag__isnull=True, contact__isnull=False)
                ),
                name="follow_exactly_one_target",
            ),
            *[
                models.UniqueConstraint(fields=[target, "user"], condition=Q(**{f"{target}__isnull": False}),
                                        name=f"follow_one_per_user_{target}")
                for target in TARGETS
            ],
        ]

    @property
    def target(self):
        return self.thread or self.article or self.tag or self.contact


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    actor_name = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=500, help_text="One line: what happened.")
    url = models.CharField(max_length=500, help_text="The exact place: an answer's anchor, an article, a contact.")
    key = models.CharField(max_length=100, help_text="What it is about (e.g. post:12), so one event is told once.")
    inbox = models.CharField(max_length=10, choices=DELIVERY_CHOICES, default=INSTANT)
    email = models.CharField(max_length=10, choices=DELIVERY_CHOICES, default=OFF)
    created_at = models.DateTimeField(default=timezone.now)
    shown_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "key"], name="notification_once_per_event"),
        ]
        indexes = [
            # The header's unread count and the inbox list.
            models.Index(fields=["user", "read_at"], condition=Q(shown_at__isnull=False),
                         name="notification_unread"),
            # The digests' pickings.
            models.Index(fields=["email", "emailed_at"], name="notification_email_due"),
            models.Index(fields=["inbox", "shown_at"], name="notification_inbox_due"),
        ]

    def __str__(self) -> str:
        return self.text


class Preference(models.Model):
    """One user's delivery of one event; without a row, the event's default (``notifications.events``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    inbox = models.CharField(max_length=10, choices=DELIVERY_CHOICES)
    email = models.CharField(max_length=10, choices=DELIVERY_CHOICES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="preference_one_per_event")]
