"""The Django admin for support: contacts with their conversation.

Read-only but for status changes, made through the same service as the agent console;
agents work in the console (``/console/``), linked from each page. A contact may be
deleted (a customer's request to erase their data); it is never added here.
"""
from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline, service_action
from support.models import Contact, ContactMessage
from support.services import contact_set_status


class ContactMessageInline(ReadOnlyInline):
    model = ContactMessage
    fields = ("created_at", "sender", "author", "body")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "channel", "status", "customer_email", "customer_name", "assigned_agent",
                    "created_at", "updated_at")
    list_filter = ("status", "channel", ("assigned_agent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("subject", "customer_email", "customer_name")
    list_select_related = ("assigned_agent",)
    readonly_fields = ("console",)
    date_hierarchy = "created_at"
    inlines = [ContactMessageInline]
    actions = [
        service_action(f"mark_{status}", f"Mark {label.lower()}", f"Marked {label.lower()}",
                       lambda request, contact, status=status: contact_set_status(contact=contact, status=status))
        for status, label in Contact.Status.choices
    ]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @admin.display(description="agent console")
    def console(self, contact: Contact) -> str:
        return format_html('<a href="{}">Open in the agent console</a>', reverse("console:contact", args=[contact.pk]))
