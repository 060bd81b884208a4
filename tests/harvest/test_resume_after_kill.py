"""``manage.py harvest`` killed with SIGKILL midway resumes from its checkpoint:
no duplicate posts, nothing lost, totals right, and the resumed run reports every thread
of the chain as harvested. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from community.models import Post, Thread
from harvest.models import HarvestRun
from harvest.services import source_create, source_harvest
from harvest.signals import harvest_finished

REPO = Path(__file__).resolve().parents[2]
QUESTIONS, ANSWERS_EACH = 1500, 3
STALLED = 3  # resumed runs in a row that stored nothing before the chain is given up
TOPICS = ["beacon", "mesh", "firmware", "guest-network", "port-forwarding", "parental-controls"]



@pytest.fixture(autouse=True)
def _no_search_indexing(settings):
    """Harvest tests are about harvesting: the search and KB apps' eager indexing and
    clustering of changed threads would embed every harvested thread with the real model."""
    settings.SEARCH_AUTO_INDEX = False
    settings.KB_AUTO_CLUSTER = False

def write_big_dump(folder: Path, questions: int = QUESTIONS) -> int:
    """A Posts.xml in the real dump layout with ``questions`` threads; returns the post count."""
    folder.mkdir(parents=True)
    rows = []
    post_id = 0
    for q in range(questions):
        post_id += 1
        question_id = post_id
        tag = TOPICS[q % len(TOPICS)]
        rows.append(
            f'<row Id="{question_id}" PostTypeId="1" AcceptedAnswerId="{question_id + 1}" '
            f'CreationDate="2021-01-01T10:{q % 60:02d}:00.000" Score="{q % 7}" ViewCount="{q * 3}" '
            f'Body="&lt;p&gt;Question {q}: my Hearthlink {tag} setup misbehaves after the evening update.&lt;/p&gt;" '
            f'OwnerDisplayName="member{q % 97}" Title="Hearthlink {tag} question number {q}" '
            f'Tags="&lt;{tag}&gt;" AnswerCount="{ANSWERS_EACH}" ContentLicense="CC BY-SA 4.0" />')
        for a in range(ANSWERS_EACH):
            post_id += 1
            rows.append(
                f'<row Id="{post_id}" PostTypeId="2" ParentId="{question_id}" '
                f'CreationDate="2021-01-02T11:{a:02d}:00.000" Score="{a}" '
                f'Body="&lt;p&gt;Answer {a} to question {q}: restart the H1, then re-pair the Beacon.&lt;/p&gt;" '
                f'OwnerDisplayName="helper{(q + a) % 53}" ContentLicense="CC BY-SA 4.0" />')
    text = '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n'
    text += "".join(f"  {row}\r\n" for row in rows) + "</posts>\r\n"
    (folder / "Posts.xml").write_text(text, encoding="utf-8", newline="")
    return post_id


def database_url() -> str:
    """The test database as a DATABASE_URL, for a subprocess to use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{db['NAME']}"
    pytest.skip(f"resume test does not know how to hand a {connection.vendor} database to a subprocess")


@pytest.mark.django_db(transaction=True)
def test_harvest_killed_with_sigkill_resumes_without_duplicates_or_losses(tmp_path):
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(("file:", ":memory:")):
        pytest.skip("an in-memory SQLite test database cannot be shared with a subprocess")
    total = write_big_dump(tmp_path / "dump")
    source = source_create(name="Big Hearthlink dump", kind="stackexchange", path=str(tmp_path / "dump"))
    env = {**os.environ, "DATABASE_URL": database_url(), "GLEANER_DATA_DIR": str(settings.DATA_DIR),
           "LOG_LEVEL": "WARNING", "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "harvest", source.slug, "--batch-size", "50", "--quiet-progress"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = HarvestRun.objects.filter(source=source).first()
            if run is not None and run.new_count > 0:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        else:
            pytest.fail("the harvest stored nothing within 60 s")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    killed = HarvestRun.objects.get(pk=run.pk)
    assert killed.status == HarvestRun.Status.RUNNING, "the run ended before it could be killed: use a bigger dump"
    assert 0 < killed.new_count < total
    assert killed.cursor.get("phase") == "posts"

    # The killed process is gone from this host: the next run sees that at once and resumes.
    reported: list[int] = []

    def report(sender, thread_ids=None, **kwargs) -> None:
        reported.extend(thread_ids or ())

    harvest_finished.connect(report, dispatch_uid="test-resume-report")
    try:
        resumed = source_harvest(source=source)
    finally:
        harvest_finished.disconnect(dispatch_uid="test-resume-report")

    killed.refresh_from_db()
    assert killed.status == HarvestRun.Status.INTERRUPTED
    assert resumed.resumed_from_id == killed.pk
    assert resumed.status == HarvestRun.Status.SUCCEEDED, resumed.message
    posts = Post.objects.filter(thread__source=source)
    assert posts.count() == total
    assert not posts.values("external_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(posts.values_list("external_id", flat=True)) == {str(n) for n in range(1, total + 1)}
    assert Thread.objects.filter(source=source).count() == QUESTIONS
    assert killed.new_count + resumed.new_count == total
    assert (resumed.updated_count, resumed.failed_count, resumed.deleted_count) == (0, 0, 0)
    assert posts.filter(is_accepted=True).count() == QUESTIONS  # accepted flags survive the resume
    assert Thread.objects.filter(source=source, is_deleted=True).count() == 0  # the seen-set survived too
    # The threads the killed process stored are reported as harvested too (clustering reads them).
    assert sorted(reported) == sorted(Thread.objects.filter(source=source).values_list("id", flat=True))


@pytest.mark.django_db
def test_a_run_killed_again_and_again_at_one_checkpoint_is_not_resumed_forever(tmp_path):
    """A batch too big for the memory kills its process each time; the task goes back to the
    broker each time. After three resumed runs in a row stored nothing, the chain fails with a
    message saying what to do, and the run after that starts over."""
    from harvest.tasks import harvest_source

    total = write_big_dump(tmp_path / "dump", questions=20)
    source = source_create(name="Big Hearthlink dump", kind="stackexchange", path=str(tmp_path / "dump"))
    cursor = {"phase": "posts", "last_id": 9}
    first = HarvestRun.objects.create(source=source, status=HarvestRun.Status.INTERRUPTED, cursor=cursor,
                                      new_count=9, worker="elsewhere:1")
    last = first
    for _ in range(STALLED):
        last = HarvestRun.objects.create(source=source, status=HarvestRun.Status.INTERRUPTED, cursor=cursor,
                                         resumed_from=last, worker="elsewhere:2")

    result = harvest_source.delay(source.pk).get()

    assert "killed at the same checkpoint" in result["skipped"]
    assert "HARVEST_BATCH_SIZE" in result["skipped"]
    last.refresh_from_db()
    assert last.status == HarvestRun.Status.FAILED
    assert "not resumed again" in last.message
    assert HarvestRun.objects.filter(source=source).count() == STALLED + 1
    assert not Post.objects.filter(thread__source=source).exists()

    again = source_harvest(source=source)
    assert again.resumed_from_id is None
    assert again.status == HarvestRun.Status.SUCCEEDED, again.message
    assert Post.objects.filter(thread__source=source).count() == total


@pytest.mark.django_db
def test_a_run_killed_twice_without_storing_is_still_resumed(tmp_path):
    total = write_big_dump(tmp_path / "dump", questions=20)
    source = source_create(name="Big Hearthlink dump", kind="stackexchange", path=str(tmp_path / "dump"))
    last = None
    for _ in range(STALLED - 1):
        last = HarvestRun.objects.create(source=source, status=HarvestRun.Status.INTERRUPTED,
                                         cursor={"phase": "posts", "last_id": 0}, resumed_from=last,
                                         worker="elsewhere:2")

    resumed = source_harvest(source=source)

    assert resumed.resumed_from_id == last.pk
    assert resumed.status == HarvestRun.Status.SUCCEEDED, resumed.message
    assert Post.objects.filter(thread__source=source).count() == total
