"""Sources of threads and the runs that harvest them."""
from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Source(models.Model):
    class Kind(models.TextChoices):
        COMMUNITY = "community", "Gleaner community"
        STACKEXCHANGE = "stackexchange", "Stack Exchange data dump"
        DISCOURSE = "discourse", "Discourse forum (JSON API)"
        HTML = "html", "HTML forum"

    COMMUNITY_SLUG = "community"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True, help_text="Forum address (Discourse, HTML) or site URL of a dump.")
    path = models.CharField(max_length=1000, blank=True, help_text="Folder or archive of a Stack Exchange dump.")
    preset = models.CharField(max_length=40, blank=True, help_text="HTML preset: phpbb, vbulletin, xenforo, askbot, discourse_crawler, generic.")
    settings = models.JSONField(default=dict, blank=True, help_text="Importer options: selectors, categories, api_username, …")
    api_key = models.CharField(max_length=200, blank=True, help_text="Optional Discourse API key.")
    license = models.CharField(max_length=100, blank=True, help_text="License of harvested content, e.g. CC BY-SA 4.0.")
    trust = models.FloatField(default=0.5, help_text="0..1: how much answers from this source are trusted when drafting.")
    schedule_minutes = models.PositiveIntegerField(default=0, help_text="Harvest every N minutes; 0 = only by hand.")
    enabled = models.BooleanField(default=True)
    checkpoint = models.JSONField(default=dict, blank=True, help_text="Where the last complete run ended (incremental cursor).")
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("harvest:source", args=[self.slug])

    def is_due(self, now=None) -> bool:
        if not self.enabled or not self.schedule_minutes or self.kind == self.Kind.COMMUNITY:
            return False
        if self.last_run_at is None:
            return True
        now = now or timezone.now()
        return (now - self.last_run_at).total_seconds() >= self.schedule_minutes * 60


class HarvestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted (resumable)"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the process running it.")
    resumed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cursor = models.JSONField(default=dict, blank=True, help_text="Checkpoint saved with every stored batch.")
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} run {self.pk} ({self.status})"

    @property
    def duration(self):
        end = self.finished_at or timezone.now()
        return end - self.started_at


class HarvestError(models.Model):
    run = models.ForeignKey(HarvestRun, on_delete=models.CASCADE, related_name="errors")
    item = models.CharField(max_length=1000, help_text="What failed: a URL, a dump row, a file.")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class FetchedPage(models.Model):
    """HTTP validators per URL, so the next run can send a conditional GET."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetched_pages")
    url = models.CharField(max_length=1000)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "url"], name="fetched_page_unique")]
