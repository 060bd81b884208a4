"""Harvest a Stack Exchange dump into throwaway databases and report throughput and memory.

    .venv/bin/python bench/harvest.py DUMP_DIR [--database-url postgres://user@host:5432/any] [--batch-size N]

For SQLite (a temporary file) and then PostgreSQL (a fresh database created on the
server of ``--database-url`` or ``DATABASE_URL``, dropped afterwards; skipped when
the server is unreachable), each in its own process so Django settings start clean:
migrate, add the dump as a source, harvest it with ``source_harvest`` (the
parse-and-store stage), then harvest the unchanged dump again (skipped by the dump's
fingerprint) and once more with ``force=True`` (parsed and compared post by post). Prints a readable
summary, then one JSON line per database, PostgreSQL last::

    {"database": "postgresql", "posts": N, "posts_per_s": x, "peak_rss_mb": x, "reharvest_speedup": x}

``posts`` counts questions and answers stored; peak RSS is the worker process's
``getrusage`` maximum (Django, migrations, the importer and the database driver included).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]


# -- the worker: one database, one process ------------------------------------------

def peak_rss_bytes() -> int:
    """The process's peak resident set size so far, as the kernel tracked it (Linux: KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(dump: Path, database: str, batch_size: int | None) -> dict:
    """Runs inside a child process whose environment names the database."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from harvest.services import source_create, source_harvest

    call_command("migrate", verbosity=0)
    source = source_create(name=f"bench {dump.name}", kind="stackexchange", path=str(dump))
    started = time.perf_counter()
    first = source_harvest(source=source, batch_size=batch_size)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = source_harvest(source=source, batch_size=batch_size)
    second_s = time.perf_counter() - started
    started = time.perf_counter()
    rescan = source_harvest(source=source, batch_size=batch_size, force=True)
    rescan_s = time.perf_counter() - started
    for run in (first, second, rescan):
        if run.failed_count or run.status not in ("succeeded", "partial") or (run is not first and (
                run.new_count or run.updated_count or run.deleted_count)):
            print(f"  warning: run {run.pk} {run.status} {run.message!r} new={run.new_count} "
                  f"updated={run.updated_count} deleted={run.deleted_count} failed={run.failed_count}",
                  file=sys.stderr)
    posts = first.new_count
    return {
        "database": database,
        "posts": posts,
        "posts_per_s": round(posts / first_s, 1),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
        "reharvest_speedup": round(first_s / second_s, 1),
        "first_s": round(first_s, 2),
        "reharvest_s": round(second_s, 2),
        "reharvest_unchanged": second.unchanged_count,
        "rescan_s": round(rescan_s, 2),
        "rescan_unchanged": rescan.unchanged_count,
    }


# -- the driver ----------------------------------------------------------------------

def run_worker(dump: Path, database: str, env: dict, batch_size: int | None) -> dict | None:
    args = [sys.executable, __file__, str(dump), "--worker", database]
    if batch_size:
        args += ["--batch-size", str(batch_size)]
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode:
        print(f"{database}: the harvest failed (exit {done.returncode})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def postgres_admin(url: str):
    """A psycopg autocommit connection to the server's maintenance database, or None."""
    try:
        import psycopg

        return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL to bench
        print(f"postgresql: not reachable ({type(exc).__name__}: {exc}); skipped", file=sys.stderr)
        return None


def describe(result: dict) -> str:
    return (f"{result['database']:>10}: {result['posts']:,} posts in {result['first_s']:.2f} s "
            f"= {result['posts_per_s']:,.0f} posts/s; peak RSS {result['peak_rss_mb']:.0f} MB; "
            f"re-harvest {result['reharvest_s']:.2f} s ({result['reharvest_speedup']:.1f}x faster, "
            f"{result['reharvest_unchanged']:,} unchanged; the dump's files are fingerprinted, so it is not "
            f"parsed); forced full re-scan {result['rescan_s']:.2f} s "
            f"({result['first_s'] / max(result['rescan_s'], 1e-9):.1f}x faster, {result['rescan_unchanged']:,} unchanged)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", type=Path, help="Stack Exchange dump folder or archive")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL server to bench on (a throwaway database is created there)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    dump = opts.dump.resolve()
    if opts.worker:
        print(json.dumps(worker(dump, opts.worker, opts.batch_size)))
        return 0
    if not dump.exists():
        parser.error(f"no dump at {dump}")

    results = []
    with tempfile.TemporaryDirectory(prefix="gleaner-bench-") as tmp:
        # Measure harvesting only: indexing and clustering subscribe to harvested threads and
        # would run in-process (eager Celery) without a broker.
        base_env = {**os.environ, "GLEANER_DATA_DIR": tmp, "LOG_LEVEL": "WARNING", "DEBUG": "true",
                    "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false"}
        sqlite_env = {**base_env, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"}
        result = run_worker(dump, "sqlite", sqlite_env, opts.batch_size)
        if result:
            results.append(result)
            print(describe(result))
        if opts.database_url.startswith(("postgres://", "postgresql://")):
            admin = postgres_admin(opts.database_url)
            if admin is not None:
                name = f"gleaner_bench_{uuid.uuid4().hex[:10]}"
                admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    pg_env = {**base_env, "DATABASE_URL": with_database(opts.database_url, name)}
                    result = run_worker(dump, "postgresql", pg_env, opts.batch_size)
                    if result:
                        results.append(result)
                        print(describe(result))
                finally:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.close()
        else:
            print("postgresql: no --database-url or DATABASE_URL; skipped", file=sys.stderr)
    for result in results:
        keys = ("database", "posts", "posts_per_s", "peak_rss_mb", "reharvest_speedup")
        print(json.dumps({key: result[key] for key in keys}))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
