from django.contrib import admin, messages
from django.db import models

from community.models import Source
from harvest import permissions, tasks
from harvest.models import HarvestError, HarvestRun


class HarvestErrorInline(admin.TabularInline):
    model = HarvestError
    fk_name = "run"
    extra = 0
    can_delete = False
    readonly_fields = ("item", "message", "created_at", "fixed_by")


# Sources belong to the community app (the thread store), but their admin lives here: its
# "harvest now" action starts harvest tasks, and the community app never imports harvest.
@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "base_url", "path", "enabled", "schedule_minutes", "last_run_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "slug", "base_url", "path")
    prepopulated_fields = {"slug": ("name",)}
    # A forum address typed without a scheme is taken as https (Django 6's default; 5.2 warns).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["harvest_now"]

    @admin.action(description="Harvest now (in the background)")
    def harvest_now(self, request, queryset):
        if not permissions.can_run_source(request.user):
            self.message_user(request, "Only admins can start a harvest.", messages.ERROR)
            return
        for source in queryset:
            tasks.harvest_source.delay(source.pk)
        self.message_user(request, f"Started {queryset.count()} harvest(s).", messages.SUCCESS)


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = ("source", "status", "started_at", "finished_at", "new_count", "updated_count",
                    "unchanged_count", "deleted_count", "failed_count")
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in HarvestRun._meta.fields]
    inlines = [HarvestErrorInline]


@admin.register(HarvestError)
class HarvestErrorAdmin(admin.ModelAdmin):
    """Every failed item of every run, to find by source or message (``/harvest/`` retries one)."""

    list_display = ("run", "item", "message", "created_at")
    list_filter = ("run__source", "run__status")
    search_fields = ("item", "message")
    list_select_related = ("run__source",)
    readonly_fields = [f.name for f in HarvestError._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False
