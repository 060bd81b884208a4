"""E-mail addresses we may or may not write to, what they unsubscribed from, and every mail sent.

``EmailAddress`` is one row per normalised address (``mail.addresses.normalize``), made
the first time anything is sent or confirmed for it: confirmed when its owner followed a
signed confirmation link, suppressed when it bounced or its owner complained. An
``Unsubscription`` is one kind of mail an address no longer wants. ``OutgoingMessage``
is each mail as rendered, with its status: the send task loads it by primary key, and the
beat sweep (``mail.tasks.sweep``) tries a deferred or rate-limited one again when its
``next_attempt_at`` comes.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmailAddress(models.Model):
    class Suppression(models.TextChoices):
        BOUNCE = "bounce", "Bounced"
        COMPLAINT = "complaint", "Complained (marked as spam)"
        MANUAL = "manual", "Stopped by staff"

    address = models.CharField(max_length=254, unique=True, help_text="Normalised: trimmed, lower case.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    suppressed_reason = models.CharField(max_length=20, choices=Suppression.choices, blank=True)
    suppressed_detail = models.TextField(blank=True, help_text="What the bounce or complaint said.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "e-mail addresses"
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed_at is not None


class Unsubscription(models.Model):
    """One kind of mail (``OutgoingMessage.kind``) an address asked not to receive again."""

    address = models.ForeignKey(EmailAddress, on_delete=models.CASCADE, related_name="unsubscriptions")
    kind = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address", "kind"], name="mail_unsubscription_unique")]

    def __str__(self) -> str:
        return f"{self.address} from {self.kind}"


class OutgoingMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Not sent: the address may not be mailed"
        RATE_LIMITED = "rate_limited", "Not sent yet: too many mails to this address"
        DEFERRED = "deferred", "Not sent yet: the mail server failed, will try again"

    to = models.CharField(max_length=254, db_index=True, help_text="Normalised address.")
    kind = models.CharField(max_length=60, db_index=True)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    reply_to = models.CharField(max_length=254, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    detail = models.TextField(blank=True, help_text="Why it was not sent, or the last sending error.")
    attempts = models.PositiveIntegerField(default=0, help_text="Tries to send it, held ones included.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="When the sweep tries a deferred or rate-limited message again; empty once it is settled.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
