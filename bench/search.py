"""Search performance: bulk indexing vs raw encoding, raw query cost vs API latency, index memory.

    .venv/bin/python bench/search.py [--sizes 10000,100000] [--database-url postgres://…]
                                     [--clients 1,8] [--requests 200] [--data DUMP_DIR]
                                     [--keep DIR] [--endpoint search|suggest|both] [--stages]

For each size N, in one run: a child process creates a throwaway database (a temp
SQLite file, or a fresh database on the server of ``--database-url``) and index
directory, migrates, and builds an index of N article documents. Texts recombine
titles and sentences of the demo corpus (``fixtures/demo/community/*.json``) or,
with ``--data``, of a Stack Exchange dump's ``Posts.xml``. The first min(N, --real) (default 10000)
documents are encoded for real through ``search.services.indexing.index_documents`` (the
bulk indexing throughput); the model's raw encode throughput (batch 64) is measured
on the same passages in the same process. The remaining documents get one passage
each whose stored vector is a slightly perturbed, renormalised copy of a real one,
so the database, keyword index and FAISS index hold N real-sized documents without
hours of encoding. Raw query cost is embed + FAISS search (k=10) of the texts the
timed endpoint receives (cleaned as the API cleans them), measured by a process
of its own next to the server, for each text just before the 1-client call with
the same text (a pause before and after each, so neither overlaps the other's
work): both figures meet the same moment of a shared machine. The build's own
pass before the server starts is printed too.
Then the real app is started over HTTP (gunicorn with config/gunicorn_conf.py, 2 workers; runserver if
gunicorn fails; DEBUG off, as in production) on the throwaway database and timed
with 1 and 8 concurrent clients over loopback (stdlib ``http.client``, one
kept-alive connection per client where the server keeps it): ``GET /api/search``
with short queries (``--endpoint search``, the default) and/or ``POST
/api/agent/suggest`` with 2,000-character chat transcripts under an agent's
token (``--endpoint suggest``; ``bench/suggest.py`` is this mode). On PostgreSQL
the build is vacuumed and analysed once, as autovacuum would have done. Prints a table, then one JSON line per size and endpoint.

``--stages`` also times each stage of a search inside the server's workers
(``bench/gunicorn_stages.py``) during the 1-client calls and prints them.

``--keep DIR`` keeps the built database and index under ``DIR/<vendor>-<N>`` (on
PostgreSQL the database name is kept in a file there) and reuses them on the next
run, so measuring again, or profiling with ``bench/search_profile.py``, does not
rebuild 100k documents. Delete the folder (and drop the named database) when done.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL_LIMIT = 10_000
SEED = 20240605


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"p50": pick(0.50), "p95": pick(0.95)}


# -- texts -----------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKUP = re.compile(r"[*_`#>]+|\[([^\]]*)\]\([^)]*\)")


def _sentences(text: str) -> list[str]:
    plain = _MARKUP.sub(lambda m: m.group(1) or "", text)
    return [s.strip() for s in _SENTENCE.split(" ".join(plain.split())) if len(s.strip()) > 20]


def corpus_pools(data: Path | None) -> tuple[list[str], list[str], list[str]]:
    """(titles, question sentences, answer sentences) from the demo corpus or a dump."""
    titles: list[str] = []
    asks: list[str] = []
    answers: list[str] = []
    if data is None:
        for path in sorted((REPO / "fixtures" / "demo" / "community").glob("*.json")):
            for question in json.loads(path.read_text(encoding="utf-8"))["questions"]:
                titles.append(question["title"])
                asks += _sentences(question["body"])
                for answer in question.get("answers", []):
                    answers += _sentences(answer["body"])
        return titles, asks, answers
    from lxml import etree

    sys.path.insert(0, str(REPO))
    from search.engine import html_to_text

    posts = data / "Posts.xml" if data.is_dir() else data
    for _, row in etree.iterparse(str(posts), tag="row"):
        body = _sentences(html_to_text(row.get("Body", "")))
        if row.get("PostTypeId") == "1":
            titles.append(row.get("Title") or "")
            asks += body
        elif row.get("PostTypeId") == "2":
            answers += body
        row.clear()
    return [t for t in titles if t], asks, answers


def make_documents(n: int, pools: tuple[list[str], list[str], list[str]]) -> list[tuple[str, str]]:
    """``n`` distinct (title, text) pairs: a question of 2-4 sentences and an answer of 3-6."""
    titles, asks, answers = pools
    rng = random.Random(SEED)
    seen: set[str] = set()
    docs: list[tuple[str, str]] = []
    while len(docs) < n:
        title = rng.choice(titles)
        question = " ".join(rng.sample(asks, rng.randint(2, 4)))
        answer = " ".join(rng.sample(answers, rng.randint(3, 6)))
        text = f"{question}\n\n{answer}"
        if text in seen:  # equal texts would share one stored embedding
            continue
        seen.add(text)
        docs.append((title, text))
    return docs


def make_queries(count: int, titles: list[str]) -> list[str]:
    """Titles paraphrased by dropping one or two words (a reader's shorter wording)."""
    rng = random.Random(SEED + 1)
    queries = []
    for _ in range(count):
        words = rng.choice(titles).split()
        for _ in range(min(2, max(0, len(words) - 3))):
            words.pop(rng.randrange(len(words)))
        queries.append(" ".join(words))
    return queries


# -- the worker: build and measure inside Django --------------------------------------

BUILD_MARKER = "bench-build.json"
AGENT_USERNAME = "bench-agent"
TRANSCRIPT_CHARS = 2000


def make_transcripts(count: int, pools: tuple[list[str], list[str], list[str]],
                     chars: int = TRANSCRIPT_CHARS) -> list[str]:
    """Chat transcripts of exactly ``chars`` characters: the customer asks, the agent answers, in turns."""
    titles, asks, answers = pools
    rng = random.Random(SEED + 2)
    transcripts = []
    for _ in range(count):
        lines = [f"Customer: {rng.choice(titles)}"]
        while sum(len(line) + 1 for line in lines) < chars:
            speaker, pool = ("Agent", answers) if len(lines) % 2 else ("Customer", asks)
            lines.append(f"{speaker}: {' '.join(rng.sample(pool, rng.randint(1, 2)))}")
        transcripts.append("\n".join(lines)[:chars])
    return transcripts


def build(size: int, data: Path | None, real_limit: int) -> dict:
    """Fill the (empty, migrated) database and index with ``size`` documents; returns the build figures."""
    import numpy as np
    from django.conf import settings
    from django.db import transaction

    from search.backends import keyword_backends, vector_backend
    from search.embeddings import get_embedder
    from search.engine import embedding_key
    from search.engine.batches import chunks
    from search.models import Document, Embedding, Passage
    from search.services.documents import document_hash
    from search.services.indexing import index_documents, passage_texts

    log = lambda message: print(f"  [{size:,}] {message}", file=sys.stderr, flush=True)  # noqa: E731
    pools = corpus_pools(data)
    texts = make_documents(size, pools)
    rows = [
        Document(kind=Document.Kind.ARTICLE, object_id=i + 1, title=title, text=text, url=f"/kb/bench-{i + 1}/",
                 tags="bench", source="bench", visibility=Document.Visibility.PUBLIC, is_active=True,
                 content_hash=document_hash(title=title, text=text, synonyms=""))
        for i, (title, text) in enumerate(texts)
    ]
    Document.objects.bulk_create(rows, batch_size=2000)
    ids = list(Document.objects.order_by("pk").values_list("id", flat=True))
    real_ids, fake_ids = ids[:real_limit], ids[real_limit:]

    embedder = get_embedder()
    embedder.encode(["warm up the model"] * 8, batch_size=8)
    real_docs = list(Document.objects.filter(pk__in=real_ids).order_by("pk"))
    passages = [text for doc in real_docs for text in passage_texts(doc, embedder=embedder)]
    log(f"raw encode of {len(passages):,} passages (batch 64)…")
    started = time.perf_counter()
    embedder.encode(passages, batch_size=64)
    raw_per_s = len(passages) / (time.perf_counter() - started)

    log(f"bulk indexing of {len(real_ids):,} documents through index_documents…")
    started = time.perf_counter()
    report = index_documents(real_ids, embedder=embedder)
    index_s = time.perf_counter() - started
    index_per_s = report.embedded / index_s

    if fake_ids:
        log(f"adding {len(fake_ids):,} documents with perturbed stored vectors…")
        first = dict(Passage.objects.filter(position=0).values_list("document_id", "embedding_key"))
        bases = dict(Embedding.objects.filter(key__in=list(first.values())).values_list("key", "vector"))
        base_vectors = np.stack([np.frombuffer(bytes(bases[first[pk]]), dtype="<f4") for pk in real_ids])
        rng = np.random.default_rng(SEED)
        by_pk = {doc.pk: doc for doc in rows} if rows[0].pk else {}
        for chunk in chunks(fake_ids, 5000):
            docs = [by_pk[pk] for pk in chunk] if by_pk else list(Document.objects.filter(pk__in=chunk))
            noisy = base_vectors[rng.integers(0, len(base_vectors), len(docs))]
            # sigma 0.02 per dimension: cosine ~0.93 to the source vector, so neighbours stay plausible.
            noisy = noisy + rng.normal(0.0, 0.02, noisy.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            new_passages, new_vectors = [], []
            for doc, vector in zip(docs, noisy):
                text = f"{doc.title}\n{doc.text}"
                key = embedding_key(text, settings.SEARCH_MODEL)
                new_passages.append(Passage(document_id=doc.pk, position=0, text=text, embedding_key=key))
                new_vectors.append(Embedding(key=key, model_name=settings.SEARCH_MODEL, dim=len(vector),
                                             vector=np.ascontiguousarray(vector, dtype="<f4").tobytes()))
                doc.indexed_hash = doc.content_hash
            with transaction.atomic():
                Embedding.objects.bulk_create(new_vectors, batch_size=1000, ignore_conflicts=True)
                Passage.objects.bulk_create(new_passages, batch_size=1000)
                Document.objects.bulk_update(docs, ["indexed_hash"], batch_size=1000)
                for backend in keyword_backends():
                    backend.update(chunk)
        log("rebuilding the FAISS index from stored vectors…")
        started = time.perf_counter()
        vector_backend().rebuild(embedder=embedder, progress=None)
        log(f"  rebuilt in {time.perf_counter() - started:.0f} s")
    return {
        "documents": size,
        "real_documents": len(real_ids),
        "raw_encode_per_s": round(raw_per_s, 1),
        "index_per_s": round(index_per_s, 1),
        "indexed_passages": report.embedded,
        "index_s": round(index_s, 1),
        "index_throughput_ratio": round(index_per_s / raw_per_s, 3),
    }


def agent_token() -> str:
    """An agent account's API token (created once per database), for ``POST /api/agent/suggest``."""
    from rest_framework.authtoken.models import Token

    from community.models import User
    from community.roles import AGENT, role_assign

    user, created = User.objects.get_or_create(username=AGENT_USERNAME, defaults={"email": "agent@bench.invalid"})
    if created:
        user.set_unusable_password()
        user.save()
        role_assign(user=user, role=AGENT)
    return Token.objects.get_or_create(user=user)[0].key


def raw_cost(texts: list[str]) -> dict:
    """Embed + FAISS search (k=10) per text, in-process: the floor any API answer pays."""
    from search.backends.versions import get_live_index
    from search.embeddings import embed_query
    from search.engine import clean_query

    index, _ = get_live_index().get()
    cleaned = [clean_query(text) for text in texts]  # what the API embeds
    for text in cleaned[:10]:  # warm-up: first calls allocate
        index.search(embed_query(text), 10)
    embed_ms, faiss_ms, total_ms = [], [], []
    for text in cleaned:
        started = time.perf_counter()
        vector = embed_query(text)
        middle = time.perf_counter()
        index.search(vector, 10)
        done = time.perf_counter()
        embed_ms.append((middle - started) * 1000)
        faiss_ms.append((done - middle) * 1000)
        total_ms.append((done - started) * 1000)
    return {"raw_query_ms": percentiles(total_ms), "embed_ms": percentiles(embed_ms), "faiss_ms": percentiles(faiss_ms)}


def _bring_up_to_date(size: int) -> None:
    """A kept build made by older code may lack what the index holds now (e.g. the keyword index)."""
    from search.backends import vector_backend
    from search.backends.versions import index_store
    from search.engine import IndexUnavailable

    store = index_store()
    try:
        store.load_keyword(store.current_version())
    except IndexUnavailable as exc:
        print(f"  [{size:,}] {exc}: building it…", file=sys.stderr, flush=True)
        started = time.perf_counter()
        vector_backend().apply(add_ids=[], remove_ids=[])
        print(f"  [{size:,}]   built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def _vacuum() -> None:
    """PostgreSQL: ``VACUUM ANALYZE``, as autovacuum would have done by now in production.

    The bench server may run with autovacuum off (this machine's does): every
    row the timed queries touch would then be read with its hint bits unset and
    without planner statistics, which measured 90 documents by primary key at
    2.5 ms instead of 1.6.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            # Write the pages it dirtied now, not during the timed calls (needs a superuser; the
            # checkpointer gets to them later otherwise).
            with contextlib.suppress(Exception):
                cursor.execute("CHECKPOINT")


def worker(size: int, data: Path | None, queries: int, real_limit: int = REAL_LIMIT) -> dict:
    """Build (or reuse a kept build), then measure raw query cost for both endpoints' texts."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from search.backends.versions import get_live_index, reset_live_index

    marker = Path(settings.DATA_DIR) / BUILD_MARKER
    if marker.exists():
        built = json.loads(marker.read_text())
        if built["documents"] != size:
            raise SystemExit(f"{marker} holds a build of {built['documents']:,} documents, not {size:,}")
        print(f"  [{size:,}] reusing the kept build in {marker.parent}", file=sys.stderr, flush=True)
        call_command("migrate", verbosity=0)
        _bring_up_to_date(size)
    else:
        call_command("migrate", verbosity=0)
        built = build(size, data, real_limit)
        marker.write_text(json.dumps(built))
    if not built.get("vacuumed"):
        _vacuum()
        built["vacuumed"] = True
        marker.write_text(json.dumps(built))
    reset_live_index()
    index, _ = get_live_index().get()
    pools = corpus_pools(data)
    query_texts = make_queries(queries, pools[0])
    transcripts = make_transcripts(queries, pools)
    return {
        **built,
        "passages": len(index),
        "index_kind": index.kind,
        "hnsw_threshold": settings.SEARCH_HNSW_THRESHOLD,
        "index_bytes_per_doc": round(index.memory_bytes() / size, 1),
        "raw": {"search": raw_cost(query_texts), "suggest": raw_cost(transcripts)},
        "token": agent_token(),
        "queries": query_texts,
        "transcripts": transcripts,
    }


def raw_server() -> None:
    """``--raw-server``: embed + FAISS (k=10) for each JSON text read from stdin; one ms figure per line.

    Runs next to the app server so the driver can time the raw cost of a text
    right before the API call for the same text: both figures then meet the same
    moment of a shared machine (a separate raw pass a minute earlier does not).
    """
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from search.backends.versions import get_live_index
    from search.embeddings import embed_query
    from search.engine import clean_query

    index, _ = get_live_index().get()
    index.search(embed_query("warm up"), 10)
    print("ready", flush=True)
    for line in sys.stdin:
        text = clean_query(json.loads(line))
        started = time.perf_counter()
        index.search(embed_query(text), 10)
        print(f"{(time.perf_counter() - started) * 1000:.4f}", flush=True)


# Pause around each raw probe of a 1-client run (the query log write after a response takes ~2-8 ms).
QUIET_S = 0.015


class RawProbe:
    """The ``--raw-server`` child, asked for the raw cost of one text at a time."""

    def __init__(self, env: dict) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--raw-server"], env=env, cwd=REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the raw cost process did not start")

    def __call__(self, text: str) -> float:
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# -- the app over HTTP --------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, log_path: Path, *, stages: bool = False) -> tuple[subprocess.Popen, str, str]:
    """gunicorn with the production config (``config/gunicorn_conf.py``) and 2 workers, or runserver
    if gunicorn does not come up; waits until it answers.

    ``stages``: with ``bench/gunicorn_stages.py`` as config (per-stage timers in the workers)."""
    import requests

    gunicorn = Path(sys.executable).with_name("gunicorn")
    for name in ("gunicorn", "runserver"):
        port = free_port()
        if name == "gunicorn":
            # The shipped production config (its workers load the model and index before serving);
            # with ``stages``, a config that adds per-stage timers to it.
            config = str(Path(__file__).with_name("gunicorn_stages.py")) if stages else "python:config.gunicorn_conf"
            args = [str(gunicorn), "config.wsgi", "--config", config, "--workers", "2",
                    "--bind", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning"]
        else:
            args = [sys.executable, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"]
        log = open(log_path, "ab")
        process = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                # The first search loads the model and the index in that worker.
                if requests.get(f"{base}/api/search", params={"q": "beacon"}, timeout=120).status_code == 200:
                    return process, base, name
            except requests.RequestException:
                time.sleep(0.5)
        stop_server(process)
        print(f"{name} did not answer (see {log_path})", file=sys.stderr)
    raise RuntimeError("the app did not start")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class HttpClient:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it), stdlib only.

    The bench times the server, not a client library: against a trivial answer
    (a 400) ``requests`` took 2.5 / 4.2 ms (p50 / p95) where this takes
    1.4 / 2.7 ms on this machine, and the difference would count as API latency.
    """

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.connection = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        import http.client

        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data is not None else {})}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue  # the server closed a kept-alive connection: once more on a new one
            if response.will_close:
                self.close()
            return response.status, payload
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def server_stages(folder: Path, windows: dict[str, tuple[float, float]]) -> dict:
    """p50/p95 per stage of the 1-client calls of each endpoint, from ``gunicorn_stages.py``'s files."""
    rows: dict[str, list[dict[str, float]]] = {endpoint: [] for endpoint in windows}
    for path in folder.glob("stages-*.json"):
        data = json.loads(path.read_text())
        for i, at in enumerate(data.get("at", [])):
            for endpoint, (start, end) in windows.items():
                if start <= at <= end:
                    rows[endpoint].append({name: values[i] for name, values in data.items() if i < len(values)})
        path.unlink()
    folder.rmdir()
    out = {}
    for endpoint, requests_ in rows.items():
        names = [name for name in (requests_[0] if requests_ else {}) if name != "at"]
        out[endpoint] = {name: percentiles([row[name] for row in requests_]) for name in names
                         if any(row[name] for row in requests_)}
    return out


def api_latency(base: str, texts: list[str], *, clients: int, requests_total: int, endpoint: str = "search",
                token: str = "", raw: RawProbe | None = None, raw_samples: list[float] | None = None) -> dict:
    """p50/p95 in ms of ``requests_total`` calls spread over ``clients`` threads, each with its own connection.

    ``search``: ``GET /api/search?q=…&limit=10`` anonymously; ``suggest``: ``POST /api/agent/suggest``
    with ``{"text": …, "limit": 10}`` under the agent's token. A call is timed from sending the
    request to having parsed the JSON answer. An error or an empty answer is not timed. With
    ``raw`` (one client), the raw cost of each text is timed just before its call, into ``raw_samples``,
    with a pause of ``QUIET_S`` before and after it, so neither figure overlaps the other's work.
    """
    from urllib.parse import urlencode

    samples: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests_total))

    def call(http: HttpClient, text: str) -> tuple[int, bytes, bool]:
        if endpoint == "suggest":
            status, payload = http.request("POST", "/api/agent/suggest", {"text": text, "limit": 10})
            return status, payload, status == 200 and bool(json.loads(payload)["results"])
        status, payload = http.request("GET", "/api/search?" + urlencode({"q": text, "limit": 10}))
        return status, payload, status == 200 and bool(json.loads(payload)["count"])

    def client() -> None:
        http = HttpClient(base, {"Authorization": f"Token {token}"} if token else None)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                if raw is not None:
                    # Each figure on a quiet machine: after the previous answer's work after the
                    # response (the query log) and before the next call.
                    time.sleep(QUIET_S)
                    raw_samples.append(raw(texts[i % len(texts)]))
                    time.sleep(QUIET_S)
                started = time.perf_counter()
                status, payload, ok = call(http, texts[i % len(texts)])
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        samples.append(elapsed)
                    else:
                        errors.append(f"{status} {payload[:120]!r}")
        finally:
            http.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  {len(errors)} failed or empty responses, e.g. {errors[0]}", file=sys.stderr)
    return percentiles(samples) if samples else {"p50": None, "p95": None}


# -- the driver ----------------------------------------------------------------------

ENDPOINTS = {"search": "GET /api/search (short queries, anonymous)",
             "suggest": "POST /api/agent/suggest (2,000-character transcripts, agent token)"}


def with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def run_size(size: int, opts, tmp: Path) -> dict | None:
    base_env = {**os.environ, "GLEANER_DATA_DIR": str(tmp), "SEARCH_INDEX_DIR": str(tmp / "index"),
                # As production runs it: DEBUG off (on, Django records every query).
                "LOG_LEVEL": "WARNING", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
                "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SEARCH_AUTO_INDEX": "false", "KB_AUTO_CLUSTER": "false",
                "COMMUNITY_RATE_LIMITS": "false", "RATE_SEARCH": "10000000/minute",
                "CELERY_TASK_ALWAYS_EAGER": "true"}
    base_env.pop("CELERY_BROKER_URL", None)
    admin, pg_name = None, None
    if opts.database_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        admin = psycopg.connect(with_database(opts.database_url, "postgres"), autocommit=True, connect_timeout=5)
        kept = tmp / "bench-database.txt"
        if opts.keep and kept.exists():
            pg_name = kept.read_text().strip()
        else:
            pg_name = f"gleaner_bench_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE DATABASE "{pg_name}"')
            if opts.keep:
                kept.write_text(pg_name)
        base_env["DATABASE_URL"] = with_database(opts.database_url, pg_name)
    else:
        base_env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        args = [sys.executable, __file__, "--worker", str(size), "--requests", str(opts.requests),
                "--real", str(opts.real)]
        if opts.data:
            args += ["--data", str(opts.data)]
        done = subprocess.run(args, env=base_env, cwd=REPO, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            print(f"{size:,}: the build failed (exit {done.returncode})", file=sys.stderr)
            return None
        result = json.loads(done.stdout.strip().splitlines()[-1])
        texts = {"search": result.pop("queries"), "suggest": result.pop("transcripts")}
        agent_key = result.pop("token")
        result["database"] = "postgresql" if pg_name else "sqlite"
        print(f"  [{size:,}] starting the app over HTTP…", file=sys.stderr, flush=True)
        probe = RawProbe(base_env)
        stages_dir = Path(tempfile.mkdtemp(prefix="gleaner-bench-stages-")) if opts.stages else None
        windows: dict[str, tuple[float, float]] = {}
        env = {**base_env, "GLEANER_BENCH_STAGES_DIR": str(stages_dir)} if stages_dir else base_env
        process, base, server = start_server(env, tmp / "server.log", stages=bool(stages_dir))
        try:
            result["server"] = server
            result["api_ms"] = {}
            for endpoint in opts.endpoints:
                # Search as an anonymous customer, suggestions as the agent.
                token = agent_key if endpoint == "suggest" else ""
                # Warm both workers (first calls allocate; the suggest path loads the agent's roles).
                api_latency(base, texts[endpoint], clients=2, requests_total=20, endpoint=endpoint, token=token)
                result["api_ms"][endpoint] = {}
                for clients in opts.clients:
                    samples: list[float] = []
                    started_at = time.time()
                    result["api_ms"][endpoint][str(clients)] = api_latency(
                        base, texts[endpoint], clients=clients, requests_total=opts.requests, endpoint=endpoint,
                        token=token, raw=probe if clients == 1 else None, raw_samples=samples)
                    if samples:
                        result["raw"][endpoint]["interleaved_ms"] = percentiles(samples)
                    if clients == 1:
                        windows[endpoint] = (started_at, time.time())
        finally:
            stop_server(process)
            probe.close()
        if stages_dir:
            result["stages_ms"] = server_stages(stages_dir, windows)
        result["api_p95_over_raw"] = {}
        for endpoint, by_clients in result["api_ms"].items():
            one = by_clients.get("1", next(iter(by_clients.values())))
            raw = result["raw"][endpoint].get("interleaved_ms", result["raw"][endpoint]["raw_query_ms"])["p95"]
            result["api_p95_over_raw"][endpoint] = round(one["p95"] / raw, 2) if one["p95"] else None
        return result
    finally:
        if admin is not None:
            if not opts.keep:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.close()


def describe(results: list[dict], clients: list[int], endpoints: list[str]) -> None:
    print()
    print(f"{'documents':>10} {'db':>10} {'passages':>9} {'index':>6} {'B/doc':>7} {'encode/s':>9} {'index/s':>8} "
          f"{'ratio':>6}")
    for r in results:
        print(f"{r['documents']:>10,} {r['database']:>10} {r['passages']:>9,} {r['index_kind']:>6} "
              f"{r['index_bytes_per_doc']:>7,.0f} {r['raw_encode_per_s']:>9} {r['index_per_s']:>8} "
              f"{r['index_throughput_ratio']:>6}")
    for endpoint in endpoints:
        print(f"\n  {ENDPOINTS[endpoint]}")
        print(f"{'documents':>10} {'db':>10} {'raw p50':>8} {'raw p95':>8} "
              + " ".join(f"{f'api{c} p50':>9} {f'api{c} p95':>9}" for c in clients) + f" {'p95/raw':>8}")
        for r in results:
            raw = r["raw"][endpoint].get("interleaved_ms", r["raw"][endpoint]["raw_query_ms"])
            api = " ".join(f"{r['api_ms'][endpoint][str(c)]['p50']:>9} {r['api_ms'][endpoint][str(c)]['p95']:>9}"
                           for c in clients)
            print(f"{r['documents']:>10,} {r['database']:>10} {raw['p50']:>8} {raw['p95']:>8} {api} "
                  f"{r['api_p95_over_raw'][endpoint]:>8}")
    print("\n  times in ms; raw = embed + FAISS search (k=10) in a process of its own on the text the API embeds, "
          "timed just before each 1-client call for the same text; api = over "
          f"loopback HTTP ({results[0]['server'] if results else '?'}, 2 workers), hybrid ranking, permission "
          "re-check, snippets and query log included")
    for r in results:
        fake = r["documents"] - r["real_documents"]
        note = (f"{r['real_documents']:,} encoded for real ({r['indexed_passages']:,} passages in {r['index_s']} s), "
                f"{fake:,} with perturbed copies of real vectors (not encoded)") if fake else "all encoded for real"
        split = "; ".join(f"{e} embed p50 {r['raw'][e]['embed_ms']['p50']} ms, FAISS p50 {r['raw'][e]['faiss_ms']['p50']} ms"
                          f" (raw p50 / p95 {r['raw'][e]['raw_query_ms']['p50']} / {r['raw'][e]['raw_query_ms']['p95']}"
                          " ms in a pass before the server started)"
                          for e in endpoints)
        print(f"  {r['documents']:,} documents ({r['database']}): {note}; index {r['index_kind']} (HNSW from "
              f"{r['hnsw_threshold']:,} passages); raw split: {split}")
    print()


def main(argv: list[str] | None = None, *, endpoint: str = "search", sizes: str = "10000,100000") -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=sizes)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (a throwaway database is created)")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--requests", type=int, default=200, help="calls per measurement")
    parser.add_argument("--data", type=Path, default=None, help="Stack Exchange dump folder (Posts.xml) for texts")
    parser.add_argument("--real", type=int, default=REAL_LIMIT,
                        help="documents encoded for real (the rest get perturbed copies of their vectors)")
    parser.add_argument("--endpoint", choices=("search", "suggest", "both"), default=endpoint)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the built database and index under this folder and reuse them next time")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--raw-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true",
                        help="also time each stage inside the server's workers (bench/gunicorn_stages.py)")
    opts = parser.parse_args(argv)
    if opts.raw_server:
        raw_server()
        return 0
    if opts.worker:
        print(json.dumps(worker(opts.worker, opts.data, opts.requests, opts.real)))
        return 0
    opts.clients = [int(c) for c in opts.clients.split(",")]
    opts.endpoints = ["search", "suggest"] if opts.endpoint == "both" else [opts.endpoint]
    vendor = "postgresql" if opts.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
    results = []
    for size in [int(s) for s in opts.sizes.split(",")]:
        if opts.keep:
            folder = (opts.keep / f"{vendor}-{size}").resolve()
            folder.mkdir(parents=True, exist_ok=True)
            result = run_size(size, opts, folder)
        else:
            with tempfile.TemporaryDirectory(prefix="gleaner-bench-search-") as tmp:
                result = run_size(size, opts, Path(tmp))
        if result:
            results.append(result)
            print(f"  [{size:,}] done: {json.dumps(result)}", file=sys.stderr, flush=True)
    if results:
        describe(results, opts.clients, opts.endpoints)
    for r in results:
        for endpoint, stages in r.get("stages_ms", {}).items():
            print(f"  inside the server, 1 client, {endpoint} ({r['documents']:,} documents, {r['database']}): "
                  "p50 / p95 ms per stage, each inclusive of the stages it calls")
            for name, figures in stages.items():
                print(f"    {name:34} {figures['p50']:>8} {figures['p95']:>8}")
            print()
    for r in results:
        for name in opts.endpoints:
            print(json.dumps({"endpoint": name, "documents": r["documents"], "database": r["database"],
                              "raw_query_ms": r["raw"][name].get("interleaved_ms", r["raw"][name]["raw_query_ms"]),
                              "raw_before_server_ms": r["raw"][name]["raw_query_ms"], "api_ms": r["api_ms"][name],
                              "api_p95_over_raw": r["api_p95_over_raw"][name],
                              "index_throughput_ratio": r["index_throughput_ratio"],
                              "index_bytes_per_doc": r["index_bytes_per_doc"]}))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
