"""What every app's admin shares: read-only pages for rows whose changes go through services,
and admin actions that call a service for each selected row."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages

from core.errors import ServiceError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field shown, none edited, no adding or deleting: the site's own flows (which keep
    versions, revisions and the search index in step) do that. Actions may still call services."""

    def get_readonly_fields(self, request, obj=None):
        meta = self.model._meta
        # The admin's own links (to the site, the workspace, the console) first, then the row.
        return list(self.readonly_fields) + [f.name for f in meta.fields] + [f.name for f in meta.many_to_many]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Nothing to save: no field is editable here."""

    def save_related(self, request, form, formsets, change):
        """Nothing to save: no inline is editable here."""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


def service_action(name: str, description: str, done: str, call: Callable):
    """An admin action that calls ``call(request, row)`` (a service) for each selected row, then
    says how many it ``done`` and why each other row was refused (the service's own message)."""

    def action(modeladmin: admin.ModelAdmin, request, queryset) -> None:
        changed = 0
        for row in queryset:
            try:
                call(request, row)
            except ServiceError as exc:
                modeladmin.message_user(request, f"{row}: {exc.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            modeladmin.message_user(request, f"{done} {changed} of {len(queryset)}.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)
