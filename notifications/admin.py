"""The Django admin for notifications: read-only lists, to answer "why did (not) I hear of this?"."""
from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from notifications.models import Follow, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("text", "user", "event", "inbox", "email", "created_at", "shown_at", "read_at", "emailed_at")
    list_filter = ("event", "inbox", "email")
    search_fields = ("user__username", "user__email", "text", "key")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ("user", "thread", "article", "tag", "contact", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("user__username", "thread__title", "article__title", "tag__name", "contact__subject")
    list_select_related = ("user", "thread", "article", "tag", "contact")


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "event", "inbox", "email")
    list_filter = ("event", "inbox", "email")
    search_fields = ("user__username",)
