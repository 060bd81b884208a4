"""Celery tasks (eager), scheduling of due sources, the editors' run pages and the admin."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Source, Thread
from harvest import tasks
from harvest.models import HarvestRun
from harvest.selectors import harvest_due_sources
from harvest.services import source_create, source_harvest

pytestmark = pytest.mark.django_db

DUMPS = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange"


@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    settings.SEARCH_AUTO_INDEX = False  # harvesting only; no eager embedding of harvested threads
    settings.KB_AUTO_CLUSTER = False


def add(name: str, folder: str = "hearthlink", **kwargs) -> Source:
    return source_create(name=name, kind="stackexchange", path=str(DUMPS / folder), **kwargs)


@pytest.fixture
def harvested():
    source = add("Hearthlink SE")
    source_harvest(source=add("Broken rows", "broken/badrows"))
    return source, source_harvest(source=source)


def test_harvest_task_runs_the_source_and_reports_counts():
    source = add("Hearthlink SE")
    result = tasks.harvest_source.delay(source.pk).get()
    assert result["status"] == "succeeded" and result["new"] == 75
    assert Thread.objects.filter(source=source).count() == 26


def test_harvest_task_skips_disabled_sources_and_a_source_already_running():
    source = add("Hearthlink SE")
    Source.objects.filter(pk=source.pk).update(enabled=False)
    assert tasks.harvest_source.delay(source.pk).get() == {"skipped": "source missing or disabled"}
    Source.objects.filter(pk=source.pk).update(enabled=True)
    HarvestRun.objects.create(source=source)  # a live run elsewhere (fresh heartbeat)
    assert "already being harvested" in tasks.harvest_source.delay(source.pk).get()["skipped"]


def test_due_sources_follow_each_schedule():
    never = add("By hand")
    due = add("Hourly, never run", schedule_minutes=60)
    recent = add("Hourly, just run", schedule_minutes=60)
    Source.objects.filter(pk=recent.pk).update(last_run_at=timezone.now() - timedelta(minutes=5))
    late = add("Hourly, run long ago", schedule_minutes=60)
    Source.objects.filter(pk=late.pk).update(last_run_at=timezone.now() - timedelta(minutes=61))

    assert sorted(harvest_due_sources()) == sorted([due.pk, late.pk])
    started = tasks.harvest_due_sources.delay().get()  # beat's task: starts one harvest per due source
    assert sorted(started) == sorted([due.pk, late.pk])
    assert set(HarvestRun.objects.values_list("source_id", flat=True)) == {due.pk, late.pk}
    assert not HarvestRun.objects.filter(source__in=[never, recent]).exists()
    assert harvest_due_sources() == []  # they just ran


def test_editor_sees_sources_runs_and_errors(client, editor, harvested):
    source, run = harvested
    client.force_login(editor)
    listing = client.get(reverse("harvest:sources"))
    assert listing.status_code == 200 and "Hearthlink SE" in listing.content.decode()
    detail = client.get(reverse("harvest:source", args=[source.slug]))
    assert detail.status_code == 200 and "26 threads" in detail.content.decode()
    broken = HarvestRun.objects.get(source__slug="broken-rows")
    page = client.get(reverse("harvest:run", args=[broken.pk])).content.decode()
    assert "Finished with errors" in page and "Id=abc" in page


def test_members_are_refused_and_visitors_sent_to_log_in(client, alice, harvested):
    source, run = harvested
    urls = [reverse("harvest:sources"), reverse("harvest:source", args=[source.slug]),
            reverse("harvest:run", args=[run.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("community:login") in response["Location"], url
    client.force_login(alice)
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_admin_lists_sources_and_runs(client, admin_user, harvested):
    source, run = harvested
    client.force_login(admin_user)
    sources = client.get(reverse("admin:community_source_changelist"))
    assert sources.status_code == 200 and "Hearthlink SE" in sources.content.decode()
    runs = client.get(reverse("admin:harvest_harvestrun_changelist"))
    assert runs.status_code == 200
    change = client.get(reverse("admin:harvest_harvestrun_change", args=[run.pk]))
    assert change.status_code == 200
    assert client.get(reverse("admin:community_source_add")).status_code == 200


def test_admin_action_harvests_now(client, admin_user):
    source = add("Hearthlink SE")
    client.force_login(admin_user)
    response = client.post(reverse("admin:community_source_changelist"),
                           {"action": "harvest_now", "_selected_action": [source.pk]}, follow=True)
    assert response.status_code == 200 and "Started 1 harvest(s)." in response.content.decode()
    assert HarvestRun.objects.get(source=source).new_count == 75
