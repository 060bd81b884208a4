"""Harvest runs, their errors, and the HTTP validators kept between runs.

Sources themselves are ``community.Source``: the thread store owns where threads come from.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class HarvestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted (resumable)"

    source = models.ForeignKey("community.Source", on_delete=models.CASCADE, related_name="runs")
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
        permissions = [("manage_source", "Can add, test, run and schedule sources, and retry failed items, on the site")]

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
    fixed_by = models.ForeignKey(HarvestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="The retry run that read this item without error.")

    class Meta:
        ordering = ["created_at"]


class FetchedPage(models.Model):
    """HTTP validators per URL, so the next run can send a conditional GET."""

    source = models.ForeignKey("community.Source", on_delete=models.CASCADE, related_name="fetched_pages")
    url = models.CharField(max_length=1000)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "url"], name="fetched_page_unique")]
