"""Notification fan-out: the request that answers a question followed by N members, and the fan-out task.

    .venv/bin/python bench/notify_fanout.py [--followers 10000] [--answers 5]
                                            [--database-url postgres://…] [--broker redis://127.0.0.1:6379/5]

A throwaway database (SQLite in a temporary folder, or a new PostgreSQL database next to
``--database-url``, dropped afterwards) gets an asker, an answerer and N members following the
asker's question. The answer is posted through the real page (Django's test client, in
process) with the broker configured, so the request only queues the fan-out task on commit;
the tasks go to a queue of this run's own that no worker reads, and are purged at the end.
Printed: the answer request's time with no followers and with N (median and worst of
``--answers`` requests each), then the fan-out task run in process for one of those answers
(the rows it wrote, and its time). Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


def answer_requests(client, thread, count: int) -> tuple[list[float], list[int]]:
    from community.models import Post

    times, post_ids = [], []
    for i in range(count):
        body = f"Answer {uuid.uuid4().hex[:8]}: move the Beacon halfway between the H1 and the dead spot, then restart it."
        started = time.perf_counter()
        response = client.post(f"/questions/{thread.pk}/answer/", {"body": body})
        times.append(time.perf_counter() - started)
        if response.status_code != 302:
            raise SystemExit(f"the answer was refused ({response.status_code}): {response.content[:300]!r}")
        post_ids.append(Post.objects.filter(thread=thread, body=body).values_list("pk", flat=True).get())
    return times, post_ids


def run(opts) -> dict:
    import django

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from community.services import question_create, user_signup
    from community.models import Tag
    from config.celery import app
    from notifications.models import Follow, Notification
    from notifications.services import event_fanout

    call_command("migrate", interactive=False, verbosity=0)
    Tag.objects.get_or_create(name="mesh")
    asker = user_signup(username="asker", email="asker@example.com", password="correct horse battery 9")
    answerer = user_signup(username="answerer", email="answerer@example.com", password="correct horse battery 9")
    quiet = question_create(author=asker, title="A question nobody else follows",
                            body="Only the asker follows this question, so an answer tells one person.", tags=["mesh"])
    busy = question_create(author=asker, title="A question many members follow",
                           body="Thousands of members follow this question and hear of every answer.", tags=["mesh"])
    User = get_user_model()
    started = time.perf_counter()
    User.objects.bulk_create([User(username=f"follower{i}", email=f"follower{i}@example.com", password="!")
                              for i in range(opts.followers)], batch_size=2000)
    ids = list(User.objects.filter(username__startswith="follower").values_list("pk", flat=True))
    Follow.objects.bulk_create([Follow(user_id=pk, thread=busy) for pk in ids], batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after such a load
    setup = time.perf_counter() - started

    client = Client()
    client.force_login(answerer)
    answer_requests(client, quiet, 1)  # warm-up: templates, URL resolver, first broker connection
    answer_requests(client, busy, 1)
    # Alternating, so a slow moment of the (shared) machine falls on both sides alike.
    quiet_times, busy_times, post_ids = [], [], []
    for _ in range(opts.answers):
        quiet_times += answer_requests(client, quiet, 1)[0]
        times, ids = answer_requests(client, busy, 1)
        busy_times += times
        post_ids += ids
    assert not Notification.objects.filter(key=f"post:{post_ids[0]}").exists(), "the request must not fan out"

    started = time.perf_counter()
    written = event_fanout(event="answer_new", object_id=post_ids[0], actor_id=answerer.pk)
    fanout = time.perf_counter() - started
    purged = app.control.purge()
    return {
        "vendor": connection.vendor, "followers": opts.followers, "setup_s": round(setup, 2),
        "request_no_followers_ms": {"median": round(statistics.median(quiet_times) * 1000, 1),
                                    "max": round(max(quiet_times) * 1000, 1)},
        "request_followed_ms": {"median": round(statistics.median(busy_times) * 1000, 1),
                                "max": round(max(busy_times) * 1000, 1)},
        "fanout_rows": written, "fanout_s": round(fanout, 2),
        "fanout_rows_per_s": round(written / fanout) if fanout else None, "tasks_purged": purged,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL server to make a throwaway database on")
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL", ""),
                        help="Redis broker the request queues to (default: CELERY_BROKER_URL)")
    opts = parser.parse_args(argv)
    if not opts.broker:
        parser.error("give --broker (or CELERY_BROKER_URL): without one, tasks run inside the request")
    tmp = Path(tempfile.mkdtemp(prefix="notify-fanout-"))
    pg_name = None
    os.environ.update({
        "GLEANER_DATA_DIR": str(tmp), "SEARCH_INDEX_DIR": str(tmp / "index"), "CELERY_BROKER_URL": opts.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false", "CELERY_TASK_DEFAULT_QUEUE": f"bench-notify-{uuid.uuid4().hex[:10]}",
        "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false", "COMMUNITY_RATE_LIMITS": "false",
        "LOG_LEVEL": "WARNING",
    })
    if opts.database_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        pg_name = f"bench_notify_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(with_database(opts.database_url, "postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        os.environ["DATABASE_URL"] = with_database(opts.database_url, pg_name)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        result = run(opts)
    finally:
        if pg_name:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(with_database(opts.database_url, "postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
    print(f"database: {result['vendor']}; {result['followers']:,} members follow the question "
          f"(set up in {result['setup_s']} s)")
    print(f"answer request, question with no other follower: median {result['request_no_followers_ms']['median']} ms,"
          f" worst {result['request_no_followers_ms']['max']} ms")
    print(f"answer request, question followed by {result['followers']:,}: median "
          f"{result['request_followed_ms']['median']} ms, worst {result['request_followed_ms']['max']} ms "
          "(the request only queues the fan-out task)")
    print(f"fan-out task: {result['fanout_rows']:,} notifications in {result['fanout_s']} s "
          f"({result['fanout_rows_per_s']:,} rows/s)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
