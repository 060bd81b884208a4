"""Support: contacts from every channel, their messages, and what agents did with suggestions.

A ``Contact`` is one customer conversation (an e-mail thread, a chat, a call, a
web-form request). It is linked to a community account when one exists with the
customer's e-mail, and carries the help-center context the customer came with
(``search_terms``, ``viewed_articles``) so the agent never asks again.
``SuggestionEvent`` rows record what agents did with suggested articles, for
ranking and for editors.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

MESSAGE_MAX_LENGTH = 20_000


class Contact(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat"
        VOICE = "voice", "Voice"
        SOCIAL = "social", "Social"
        WEB_FORM = "web_form", "Web form"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    channel = models.CharField(max_length=20, choices=Channel.choices)
    customer_email = models.EmailField(db_index=True)
    customer_name = models.CharField(max_length=150, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_contacts"
    )
    search_terms = models.JSONField(default=list, blank=True, help_text="What the customer searched before asking.")
    viewed_articles = models.ManyToManyField("kb.Article", blank=True, related_name="viewed_in_contacts")
    resolved_by = models.ForeignKey(
        "kb.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="resolved_contacts"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("handle_contact", "Can handle contacts in the agent console")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


# Channels whose agents' replies go out by e-mail (a chat or a call is answered where it happens),
# and the kind of mail they are (``mail``'s kinds: what an address may unsubscribe from).
MAILED_CHANNELS = (Contact.Channel.EMAIL, Contact.Channel.WEB_FORM)
REPLY_KIND = "contact_reply"


class ContactMessage(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=20, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_messages"
    )
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH, help_text="Plain text.")
    created_at = models.DateTimeField(default=timezone.now)
    # An agent's reply mailed to the customer (None: not mailed, or held until the address is confirmed).
    outgoing_mail = models.ForeignKey(
        "mail.OutgoingMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A customer's message that came in by e-mail: who sent it and its Message-ID (a gateway that
    # posts the same mail twice adds it once).
    email_from = models.CharField(max_length=254, blank=True)
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} from the {self.sender}"


class ContactAttachment(models.Model):
    """A file that came with a customer's e-mail, kept within ``INBOUND_MAX_ATTACHMENTS`` and
    ``INBOUND_MAX_ATTACHMENT_BYTES``; agents download it from the console."""

    message = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="contact-attachments/%Y/%m/")
    filename = models.CharField(max_length=150, help_text="As the sender named it, without folders.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class SuggestionEvent(models.Model):
    class Action(models.TextChoices):
        SHOWN = "shown", "Shown"
        INSERTED = "inserted", "Inserted into a reply"
        LINKED = "linked", "Linked as resolved by"
        DISMISSED = "dismissed", "Dismissed"
        FLAGGED = "flagged", "Flagged"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="suggestion_events")
    article = models.ForeignKey("kb.Article", on_delete=models.CASCADE, related_name="suggestion_events")
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestion_events"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class ContactSuggestionOpen(models.Model):
    """A help-center visitor opened an article the contact form suggested while they were writing.

    ``contact`` is set when the same visit then sent a request anyway; an open that never led to a
    request is a deflection (the article answered, or at least stopped, the request). No text the
    visitor typed is kept: the article and the visit say enough.
    """

    article = models.ForeignKey("kb.Article", on_delete=models.CASCADE, related_name="contact_form_opens")
    session_key = models.CharField(max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="suggestion_opens", help_text="The request sent after it, if any.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"article {self.article_id} opened from the contact form"

    @property
    def deflected(self) -> bool:
        return self.contact_id is None
