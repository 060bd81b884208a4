"""What a damaged Stack Exchange dump does to what readers see: harvest a dump, damage a
copy of its Posts.xml, harvest again, and count the threads and answers marked deleted.

    .venv/bin/python bench/harvest_damaged.py ../shared/data/stackexchange-beer

Runs in a throwaway SQLite database (no search indexing, no clustering). Three cases,
each from a fresh database: Posts.xml cut to its first half, Posts.xml with bad bytes
a third of the way in, and one answer removed from an otherwise intact dump. Prints one
line per case, then one JSON line with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def truncate(posts: Path) -> None:
    data = posts.read_bytes()
    posts.write_bytes(data[: len(data) // 2])


def bad_bytes(posts: Path) -> None:
    data = posts.read_bytes()
    middle = data.index(b"<row", len(data) // 3)
    posts.write_bytes(data[:middle] + b'<row Id="\xc3\x28\xff" ' + data[middle + 5:])


def drop_one_answer(posts: Path) -> None:
    lines = posts.read_bytes().splitlines(keepends=True)
    answer = next(i for i, line in enumerate(lines) if b'PostTypeId="2"' in line)
    posts.write_bytes(b"".join(lines[:answer] + lines[answer + 1:]))


CASES = {"truncated": truncate, "bad bytes": bad_bytes, "one answer removed": drop_one_answer}


def run_case(dump: Path, damage, work: Path) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from community.models import Post, Thread
    from harvest.services import source_create, source_harvest

    connection.close()
    db = Path(os.environ["GLEANER_DATA_DIR"]) / "gleaner.sqlite3"
    db.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    copy = work / "dump"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name in ("Posts.xml", "Users.xml", "PostLinks.xml"):
        if (dump / name).exists():
            shutil.copyfile(dump / name, copy / name)
            (copy / name).chmod(0o644)
    source = source_create(name="Bench dump", kind="stackexchange", path=str(copy))
    source_harvest(source=source)
    threads = Thread.objects.filter(source=source, is_deleted=False).count()
    answers = Post.objects.filter(thread__source=source, is_question=False, is_deleted=False).count()
    damage(copy / "Posts.xml")
    run = source_harvest(source=source)
    return {
        "threads": threads, "answers": answers, "status": run.get_status_display(), "message": run.message,
        "threads_deleted": Thread.objects.filter(source=source, is_deleted=True).count(),
        "answers_deleted": Post.objects.filter(thread__source=source, is_question=False, is_deleted=True).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    args = parser.parse_args()
    if not (args.dump / "Posts.xml").exists():
        sys.exit(f"no Posts.xml in {args.dump}")
    work = Path(tempfile.mkdtemp(prefix="gleaner-bench-damaged-"))
    os.environ.update({"GLEANER_DATA_DIR": str(work / "data"), "SEARCH_AUTO_INDEX": "false",
                       "KB_AUTO_CLUSTER": "false", "CELERY_TASK_ALWAYS_EAGER": "true",
                       "DJANGO_SETTINGS_MODULE": "config.settings"})
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    figures = {}
    try:
        for name, damage in CASES.items():
            result = figures[name] = run_case(args.dump, damage, work)
            print(f"{name:>20}: {result['threads_deleted']} of {result['threads']} threads and "
                  f"{result['answers_deleted']} of {result['answers']} answers marked deleted; "
                  f"{result['status']}: {result['message']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
