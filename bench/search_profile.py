"""Where a search request's time goes: per-stage timings and a cProfile of the API path, in-process.

    .venv/bin/python bench/search_profile.py DIR [--database-url postgres://…] [--requests 200]
                                                 [--endpoint search|suggest] [--top 30] [--data DUMP_DIR]

DIR is a build kept by ``bench/search.py --keep`` (``DIR/<vendor>-<N>``); on
PostgreSQL pass the same server URL (the database name is read from DIR). Runs
the same texts as the bench (short queries for ``search``, 2,000-character
transcripts for ``suggest``) through:

1. the whole request through Django's test client (middleware, auth, DRF,
   serializer, JSON), p50/p95;
2. the same requests again with a timer around each stage of
   ``search.selectors.search_documents`` (query cleaning, visibility, starting
   the query's embedding, the keyword ranker that runs while the model thread
   embeds, the wait for the vector, FAISS, passage→document mapping with the
   candidate check, fusion, materialising results, the query log) and of the
   API's result rendering, p50/p95 per stage, each inclusive of the stages it
   calls;
3. a cProfile of the requests, sorted by cumulative time.

No HTTP and no second process, so the figures are the app's own cost; the gap to
``bench/search.py``'s HTTP figures is the server and the network stack.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(Path(__file__).resolve().parent))


def _bench_search():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_search", Path(__file__).with_name("search.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(folder: Path, database_url: str) -> None:
    os.environ.update({"GLEANER_DATA_DIR": str(folder), "SEARCH_INDEX_DIR": str(folder / "index"),
                       "LOG_LEVEL": "WARNING", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
                       "SECURE_SSL_REDIRECT": "false", "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false",
                       "COMMUNITY_RATE_LIMITS": "false", "RATE_SEARCH": "10000000/minute",
                       "CELERY_TASK_ALWAYS_EAGER": "true", "CELERY_BROKER_URL": ""})
    kept = folder / "bench-database.txt"
    if kept.exists():
        bench = _bench_search()
        os.environ["DATABASE_URL"] = bench.with_database(database_url, kept.read_text().strip())
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def pct(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return f"{pick(0.5):8.2f} {pick(0.95):8.2f}"


# (module, attribute) timed inclusively: each row's time includes the rows nested in it.
STAGES = [
    ("search.selectors", "search_documents"),
    ("search.engine.query", "clean_query"),
    ("search.permissions", "allowed_visibilities"),
    ("search.selectors", "rank"),
    ("search.backends.faiss", "FaissVectorBackend.start"),
    ("search.backends.faiss", "start_query_embedding"),
    ("search.backends.faiss", "PendingWindow.result"),
    ("search.engine.embedding", "_TracedQuery.result"),
    ("search.engine.vector_index", "VectorIndex.search"),
    ("search.engine.keyword_index", "KeywordIndex.passage_documents"),
    ("search.backends.memory", "MemoryKeywordBackend.start"),
    ("search.engine.keyword_index", "KeywordIndex.scores"),
    ("search.engine.keyword_index", "KeywordIndex.ranked"),
    ("search.candidates", "Candidates.filter_ids"),
    ("search.backends.faiss", "FaissWindow.documents"),
    ("search.backends.faiss", "passage_documents"),
    ("search.backends.memory", "MemoryKeywordSearch.search"),
    ("search.backends.database", "DatabaseKeywordSearch.search"),
    ("search.backends.fusion", "fuse"),
    ("search.selectors", "_materialize"),
    ("search.selectors", "_result_rows"),
    ("search.engine.snippets", "make_snippet"),
    ("search.selectors", "_log"),
    ("search.services.query_log", "_write"),
    ("search.api", "result_json"),
]


def timed_stages(timings: dict[str, list[float]]) -> None:
    """Wrap each stage so every call adds its time to the current request's row (a bench, not a test)."""
    import importlib

    for module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        owner, name = module, attribute
        if "." in attribute:
            owner_name, name = attribute.split(".")
            owner = getattr(module, owner_name)
        original = getattr(owner, name)
        label = attribute if attribute != "rank" else "rank (dense + keyword + fusion)"

        def wrapper(*args, __original=original, __label=label, **kwargs):
            started = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                row = timings.setdefault(__label, [])
                row[-1] += (time.perf_counter() - started) * 1000

        setattr(owner, name, wrapper)
        if module_name == "search.engine.query":  # imported by name elsewhere
            import search.engine
            import search.selectors

            search.selectors.clean_query = wrapper
            search.engine.clean_query = wrapper
        if module_name == "search.engine.snippets":
            import search.selectors

            search.selectors.make_snippet = wrapper


def requests_through_client(texts: list[str], *, endpoint: str, token: str,
                            timings: dict[str, list[float]] | None = None) -> list[float]:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}") if endpoint == "suggest" else Client()
    samples = []
    for text in texts:
        for row in (timings or {}).values():
            row.append(0.0)
        started = time.perf_counter()
        if endpoint == "suggest":
            response = client.post("/api/agent/suggest", {"text": text, "limit": 10}, content_type="application/json")
        else:
            response = client.get("/api/search", {"q": text, "limit": 10})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="a folder kept by bench/search.py --keep (e.g. DIR/sqlite-100000)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--endpoint", choices=("search", "suggest"), default="search")
    parser.add_argument("--data", type=Path, default=None, help="the dump the build used (same texts as the bench)")
    parser.add_argument("--top", type=int, default=30)
    opts = parser.parse_args()
    folder = opts.dir.resolve()
    if not (folder / "bench-build.json").exists():
        parser.error(f"{folder} holds no kept build (run bench/search.py --keep first)")
    setup(folder, opts.database_url)
    bench = _bench_search()
    from django.db import connection

    pools = bench.corpus_pools(opts.data)
    texts = (bench.make_transcripts(opts.requests, pools) if opts.endpoint == "suggest"
             else bench.make_queries(opts.requests, pools[0]))
    bench._bring_up_to_date(json.loads((folder / "bench-build.json").read_text())["documents"])
    token = bench.agent_token()
    built = json.loads((folder / "bench-build.json").read_text())
    print(f"{built['documents']:,} documents on {connection.vendor}; {opts.requests} {opts.endpoint} texts; "
          f"times in ms (p50 p95)")

    requests_through_client(texts[:20], endpoint=opts.endpoint, token=token)  # warm-up: model, index
    whole = requests_through_client(texts, endpoint=opts.endpoint, token=token)
    print(f"\nwhole request through the test client: {pct(whole)}")

    timings: dict[str, list[float]] = {label: [] for label in ["request"]}
    timed_stages(timings)
    for _, attribute in STAGES:
        timings.setdefault(attribute if attribute != "rank" else "rank (dense + keyword + fusion)", [])
    requests_through_client(texts, endpoint=opts.endpoint, token=token, timings=timings)
    timings.pop("request")
    print("\nper request, each stage inclusive of the ones indented under it in the code (wrapped timers):")
    for name, samples in timings.items():
        print(f"  {name:<34} {pct(samples)}")

    profiler = cProfile.Profile()
    profiler.enable()
    requests_through_client(texts, endpoint=opts.endpoint, token=token)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(opts.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
