"""Harvest tasks: one per source, and a beat task that starts the ones that are due."""
from __future__ import annotations

import logging

from celery import shared_task

from community.models import Source
from core.errors import ServiceError
from harvest import selectors, services

logger = logging.getLogger(__name__)


# A process killed while running the task (the out-of-memory killer, a deploy) gives the task
# back to the broker instead of acknowledging it as failed: no worker would ever run it again,
# and the run would stay "running" until the source's next scheduled run. The next worker
# resumes the run from its checkpoint, so each delivery carries it further.
@shared_task(bind=True, max_retries=3, default_retry_delay=300, acks_late=True, reject_on_worker_lost=True)
def harvest_source(self, source_id: int) -> dict:
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        return {"skipped": "source missing or disabled"}
    try:
        run = services.source_harvest(source=source)
    except ServiceError as exc:  # already running elsewhere (try later), or killed again and again
        level = logging.WARNING if exc.code == "stalled" else logging.INFO
        logger.log(level, "harvest of %s not started: %s", source.slug, exc.message)
        return {"skipped": exc.message}
    except Exception as exc:  # transient (database restart, disk): retry with a delay
        raise self.retry(exc=exc) from exc
    return {"run": run.pk, "status": run.status, "new": run.new_count, "updated": run.updated_count}


@shared_task
def harvest_due_sources() -> list[int]:
    due = selectors.harvest_due_sources()
    for source_id in due:
        harvest_source.delay(source_id)
    return due
