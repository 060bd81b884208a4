"""Harvest a Stack Exchange dump into throwaway databases and report throughput and memory.

    .venv/bin/python bench/harvest.py DUMP_DIR [--database-url postgres://user@host:5432/any]
        [--runs N] [--scale K] [--batch-size N] [--orm-on-postgres]

For SQLite (a temporary file) and then PostgreSQL (a fresh database created on the
server of ``--database-url`` or ``DATABASE_URL``, dropped afterwards; skipped when
the server is unreachable), each run in its own process so Django settings start clean:
migrate, add the dump as a source, harvest it with ``source_harvest`` (the
parse-and-store stage), then harvest the unchanged dump again (skipped by the dump's
fingerprint) and once more with ``force=True`` (parsed and compared post by post).

``--runs N`` repeats each database N times (fresh database each time) and reports the
best and the median: throughput on a shared machine is noisy, so the harvest process's
CPU time (and the PostgreSQL backend's, when the server is local) are printed too.
``--scale K`` harvests a dump K times the size of DUMP_DIR, written to a temporary
folder: its posts, comments and links repeated K times with ids shifted past the
original's (users and tags shared), to check that throughput and memory hold as the
store grows. ``--orm-on-postgres`` adds PostgreSQL runs with ``HARVEST_BULK_COPY=false``
(the ORM store SQLite uses) for comparison. Prints a readable summary, then one JSON line
per database, PostgreSQL last::

    {"database": "postgresql", "posts": N, "posts_per_s": best, "posts_per_s_median": x,
     "peak_rss_mb": x, "reharvest_speedup": x, "runs": N}

``posts`` counts questions and answers stored; peak RSS is the worker process's
``getrusage`` maximum (Django, migrations, the importer and the database driver included).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
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


def backend_cpu_s() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a server on another host
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    server_before = backend_cpu_s()
    cpu_before = time.process_time()
    started = time.perf_counter()
    first = source_harvest(source=source, batch_size=batch_size)
    first_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_before
    server_cpu_s = None if server_before is None else backend_cpu_s() - server_before
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
        "cpu_s": round(cpu_s, 2),
        "server_cpu_s": None if server_cpu_s is None else round(server_cpu_s, 2),
        "reharvest_s": round(second_s, 2),
        "reharvest_unchanged": second.unchanged_count,
        "rescan_s": round(rescan_s, 2),
        "rescan_unchanged": rescan.unchanged_count,
        "rescan_updated": rescan.updated_count,
    }


# -- a bigger dump from a small one ------------------------------------------------------

_SHIFTED = re.compile(r'\b(Id|ParentId|AcceptedAnswerId|PostId|RelatedPostId)="(\d+)"')
_SCALED_FILES = ("Posts.xml", "Comments.xml", "PostLinks.xml")


def scaled_dump(dump: Path, factor: int, target: Path) -> Path:
    """A dump folder with ``dump``'s posts, comments and links ``factor`` times over.

    Copy k shifts every post, comment and link id by k times a power of ten above the
    largest id, so rows stay in id order and each copy is a separate set of threads.
    Users.xml and Tags.xml are shared by all copies.
    """
    if not dump.is_dir():
        raise SystemExit(f"--scale needs a dump folder, not {dump.name}")
    largest = max((int(m.group(2)) for name in _SCALED_FILES if (dump / name).exists()
                   for m in _SHIFTED.finditer((dump / name).read_text("utf-8-sig"))), default=0)
    step = 10 ** len(str(largest))
    folder = target / f"{dump.name}-x{factor}"
    folder.mkdir()
    for path in dump.iterdir():
        if path.name not in _SCALED_FILES:
            if path.suffix == ".xml":
                shutil.copyfile(path, folder / path.name)
            continue
        lines = path.read_text("utf-8-sig").splitlines(keepends=True)
        rows = [i for i, line in enumerate(lines) if line.lstrip().startswith("<row ")]
        if not rows:
            shutil.copyfile(path, folder / path.name)
            continue
        with open(folder / path.name, "w", encoding="utf-8") as out:
            out.writelines(lines[:rows[0]])
            for k in range(factor):
                shift = k * step
                out.writelines(_SHIFTED.sub(lambda m: f'{m.group(1)}="{int(m.group(2)) + shift}"', line)
                               for line in lines[rows[0]:rows[-1] + 1])
            out.writelines(lines[rows[-1] + 1:])
    return folder


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


def describe_run(result: dict) -> str:
    server = f" + server {result['server_cpu_s']:.2f} s" if result.get("server_cpu_s") is not None else ""
    return (f"  {result['database']:>16}: {result['posts']:,} posts in {result['first_s']:.2f} s "
            f"= {result['posts_per_s']:,.0f} posts/s (CPU {result['cpu_s']:.2f} s{server}); "
            f"peak RSS {result['peak_rss_mb']:.0f} MB; re-harvest {result['reharvest_s']:.2f} s "
            f"({result['reharvest_speedup']:.1f}x faster, {result['reharvest_unchanged']:,} unchanged, not parsed); "
            f"forced re-scan {result['rescan_s']:.2f} s ({result['first_s'] / max(result['rescan_s'], 1e-9):.1f}x "
            f"faster, {result['rescan_unchanged']:,} unchanged, {result['rescan_updated']} updated)")


def summarize(runs: list[dict]) -> dict:
    """Best and median over repeated runs of one database."""
    rates = [r["posts_per_s"] for r in runs]
    best = max(runs, key=lambda r: r["posts_per_s"])
    return {
        "database": best["database"], "posts": best["posts"],
        "posts_per_s": best["posts_per_s"], "posts_per_s_median": round(statistics.median(rates), 1),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "reharvest_speedup": round(statistics.median(r["reharvest_speedup"] for r in runs), 1),
        "rescan_speedup": round(statistics.median(r["first_s"] / max(r["rescan_s"], 1e-9) for r in runs), 1),
        "runs": len(runs),
    }


def describe(summary: dict) -> str:
    return (f"{summary['database']:>18}: {summary['posts']:,} posts; best {summary['posts_per_s']:,.0f} posts/s, "
            f"median {summary['posts_per_s_median']:,.0f} posts/s over {summary['runs']} run(s); "
            f"peak RSS {summary['peak_rss_mb']:.0f} MB; re-harvest {summary['reharvest_speedup']:.1f}x faster "
            f"(forced re-scan {summary['rescan_speedup']:.1f}x), medians")


def bench_postgres(url: str, label: str, dump: Path, env: dict, opts) -> list[dict]:
    admin = postgres_admin(url)
    if admin is None:
        return []
    runs = []
    try:
        for _ in range(opts.runs):
            name = f"gleaner_bench_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                result = run_worker(dump, label, {**env, "DATABASE_URL": with_database(url, name)}, opts.batch_size)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if result:
                runs.append(result)
                print(describe_run(result), flush=True)
    finally:
        admin.close()
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", type=Path, help="Stack Exchange dump folder or archive")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL server to bench on (a throwaway database is created there)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1, help="runs per database (best and median reported)")
    parser.add_argument("--scale", type=int, default=1, help="harvest the dump repeated this many times")
    parser.add_argument("--orm-on-postgres", action="store_true",
                        help="also bench PostgreSQL through the ORM store (HARVEST_BULK_COPY=false)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    dump = opts.dump.resolve()
    if opts.worker:
        print(json.dumps(worker(dump, opts.worker, opts.batch_size)))
        return 0
    if not dump.exists():
        parser.error(f"no dump at {dump}")
    if opts.runs < 1 or opts.scale < 1:
        parser.error("--runs and --scale must be at least 1")

    summaries = []
    with tempfile.TemporaryDirectory(prefix="gleaner-bench-") as tmp:
        if opts.scale > 1:
            dump = scaled_dump(dump, opts.scale, Path(tmp))
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{dump.name}: {opts.runs} run(s) per database on {os.cpu_count()} CPUs, load average {load} "
              "(other work on the machine slows every figure; the CPU times are steadier)", flush=True)
        # Measure harvesting only: indexing and clustering subscribe to harvested threads and
        # would run in-process (eager Celery) without a broker. DEBUG off, as in a worker:
        # Django's debug query log would keep the last 9,000 statements, bulk INSERTs with
        # their post bodies included, and grow the peak RSS with the dump.
        base_env = {**os.environ, "GLEANER_DATA_DIR": tmp, "LOG_LEVEL": "WARNING", "DEBUG": "false",
                    "SECRET_KEY": secrets.token_urlsafe(50), "SEARCH_AUTO_INDEX": "false",
                    "KB_AUTO_CLUSTER": "false"}
        benches: list[tuple[str, list[dict]]] = []
        runs = []
        for n in range(opts.runs):
            sqlite_env = {**base_env, "DATABASE_URL": f"sqlite:///{Path(tmp) / f'bench-{n}.sqlite3'}"}
            result = run_worker(dump, "sqlite", sqlite_env, opts.batch_size)
            if result:
                runs.append(result)
                print(describe_run(result), flush=True)
        benches.append(("sqlite", runs))
        if opts.database_url.startswith(("postgres://", "postgresql://")):
            if opts.orm_on_postgres:
                orm_env = {**base_env, "HARVEST_BULK_COPY": "false"}
                benches.append(("postgresql-orm", bench_postgres(opts.database_url, "postgresql-orm", dump,
                                                                  orm_env, opts)))
            copy_env = {**base_env, "HARVEST_BULK_COPY": "true"}
            benches.append(("postgresql", bench_postgres(opts.database_url, "postgresql", dump, copy_env, opts)))
        else:
            print("postgresql: no --database-url or DATABASE_URL; skipped", file=sys.stderr)
        for _label, runs in benches:
            if runs:
                summaries.append(summarize(runs))
                print(describe(summaries[-1]))
    for summary in summaries:
        print(json.dumps(summary))
    return 0 if summaries else 1


if __name__ == "__main__":
    sys.exit(main())
