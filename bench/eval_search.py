"""Search quality on real labelled data: keyword, dense, hybrid, a plain PostgreSQL baseline, shipped.

    .venv/bin/python bench/eval_search.py PATH [--database-url postgres://user@host:5432/any] [--with-body]
                                               [--save FILE]
    .venv/bin/python bench/eval_search.py FILE --from-saved      # re-score saved rankings

PATH is a Stack Exchange dump folder (or archive) or the StackFAQ folder/file.

Stack Exchange: the dump is harvested into a throwaway database, every question
that is not itself closed as a duplicate is indexed, and each duplicate's title
is a query whose relevant result is the question it duplicates (grade 1.0).
The dump's "related" links (LinkTypeId=1) are a second, weaker label set
(grade 0.5; the linking question's own document is removed from its results).
Queries are split into a development and a test half by a fixed seed
(``split_dev_test``); the convex weight and the RRF k are tuned on the dev half
(duplicates and related links together, graded) and every figure printed is on
the test half. ``--with-body`` adds a second run whose queries are title + body.

StackFAQ: the 125 threads are indexed as articles (``document_upsert``), the
1,250 human paraphrases are the queries; the file's ``*`` separator splits each
set of ten into a first half (tuning) and a second half (reported).

Each database runs in its own process (SQLite in a temporary file; PostgreSQL in
a throwaway database on ``--database-url``/``DATABASE_URL`` when given, which
the ``postgres_fts`` baseline needs). One table per label set and database, then
the JSON summary of the main figures (PostgreSQL when available, else SQLite;
SE: the title run, both label sets) as the very last line::

    {"queries": N, "ndcg@10": {"keyword": x, "dense": x, "hybrid": x, "postgres_fts": x, "shipped": x}, ...}
"""
from __future__ import annotations

import argparse
import html
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_search_report import summarize, summary_json  # noqa: E402  (the bench folder is not a package)
DEPTH = 30  # what production ranks per ranker for a 10-result page (search.ranking.rank)
SEED = 13


# -- data ---------------------------------------------------------------------------------

def stackfaq_file(path: Path) -> Path | None:
    if path.is_file() and path.name.endswith(".xml") and "FAQ" in path.name:
        return path
    candidate = path / "stackExchange-FAQ.xml"
    return candidate if candidate.is_file() else None


def read_stackfaq(path: Path) -> list[dict]:
    """``[{"title", "answers": [...], "first": [...5 queries], "second": [...5 queries]}]``."""
    from lxml import etree

    pairs = []
    for qapair in etree.parse(str(path)).getroot().iter("qapair"):
        halves: list[list[str]] = [[]]
        for rephr in qapair.findall("rephr"):
            text = " ".join((rephr.text or "").split())
            if text == "*":
                halves.append([])
            elif text:
                halves[-1].append(html.unescape(text))
        pairs.append({
            "title": html.unescape(" ".join((qapair.findtext("question") or "").split())),
            "answers": [html.unescape(" ".join((a.text or "").split())) for a in qapair.findall("answer")],
            "first": halves[0],
            "second": [q for half in halves[1:] for q in half],
        })
    return pairs


# -- the worker: one database, one process -------------------------------------------------

def build_index(*, leave_out_threads: list[int] = ()) -> dict:
    """Index every document synchronously (passages, embeddings, FAISS, keyword index).

    ``leave_out_threads``: threads whose documents are then taken out of both indexes.
    """
    from search.services.indexing import index_documents
    from search.services.rebuild import index_rebuild
    from search.models import Document

    started = time.perf_counter()
    report = index_rebuild()
    left_out = list(Document.objects.filter(kind__in=("question", "thread"), object_id__in=list(leave_out_threads))
                    .values_list("id", flat=True))
    if left_out:
        Document.objects.filter(pk__in=left_out).update(is_active=False)
        index_documents(left_out)
    return {"index_s": round(time.perf_counter() - started, 1), "embedded": report.embedded}


def load_stackfaq(path: Path) -> tuple[dict, dict]:
    """Articles in, queries out: ``(queries, meta)`` with ``queries[id] = {text, labels, half}``."""
    from django.db import transaction

    from search.services.documents import document_upsert
    from search.models import Document

    pairs = read_stackfaq(path)
    with transaction.atomic():
        for number, pair in enumerate(pairs, start=1):
            document_upsert(
                kind=Document.Kind.ARTICLE, object_id=number, title=pair["title"],
                text="\n\n".join(pair["answers"]), url=f"/kb/stackfaq-{number}/", tags="",
                source="stackfaq", visibility=Document.Visibility.PUBLIC, is_active=True,
            )
    meta = build_index()
    doc_of = dict(Document.objects.filter(kind=Document.Kind.ARTICLE).values_list("object_id", "id"))
    queries = {}
    for number, pair in enumerate(pairs, start=1):
        for half in ("first", "second"):
            for i, text in enumerate(pair[half]):
                queries[f"{number}-{half}-{i}"] = {
                    "text": text, "labels": {"faq": {doc_of[number]: 1.0}},
                    "split": "dev" if half == "first" else "test", "exclude": None,
                }
    meta.update(documents=len(pairs), kind="stackfaq")
    return queries, meta


def load_stackexchange(dump: Path, with_body: bool) -> tuple[dict, dict]:
    from community.models import Thread
    from harvest.engine.importers.stackexchange.links import read_post_links
    from harvest.services import source_create, source_harvest
    from search.engine import markdown_to_text, html_to_text, split_dev_test
    from search.models import Document

    source = source_create(name=f"eval {dump.name}", kind="stackexchange", path=str(dump))
    started = time.perf_counter()
    source_harvest(source=source)
    harvest_s = time.perf_counter() - started
    threads = {t.external_id: t for t in Thread.objects.filter(source=source)}
    links = read_post_links(dump)
    duplicates = {l.from_external_id for l in links if l.kind == "duplicate"}
    duplicates |= {ext for ext, t in threads.items() if t.duplicate_of_external_id}
    meta = build_index(leave_out_threads=[t.pk for ext, t in threads.items() if ext in duplicates])
    doc_of = dict(Document.objects.filter(kind=Document.Kind.THREAD, is_active=True).values_list("object_id", "id"))

    labels: dict[str, dict[str, dict[int, float]]] = {}
    for link in links:
        source_thread, target = threads.get(link.from_external_id), threads.get(link.to_external_id)
        if source_thread is None or target is None or target.pk not in doc_of or source_thread.pk == target.pk:
            continue
        grade = 1.0 if link.kind == "duplicate" else 0.5
        name = "duplicates" if link.kind == "duplicate" else "related"
        labels.setdefault(link.from_external_id, {}).setdefault(name, {})[doc_of[target.pk]] = grade
    dev, test = split_dev_test(sorted(labels, key=int), seed=SEED)
    split = {**{q: "dev" for q in dev}, **{q: "test" for q in test}}

    queries = {}
    for ext, sets in labels.items():
        thread = threads[ext]
        own_doc = doc_of.get(thread.pk)
        texts = {"title": thread.title}
        if with_body:
            question = thread.posts.filter(is_question=True).first()
            body = ""
            if question is not None:
                body = html_to_text(question.body) if question.body_format == "html" else markdown_to_text(question.body)
            texts["title+body"] = f"{thread.title}\n{body}"
        for run, text in texts.items():
            queries[f"{ext}|{run}"] = {"text": text, "labels": sets, "split": split[ext], "exclude": own_doc,
                                      "run": run}
    meta.update(documents=len(doc_of), duplicates_skipped=len(duplicates), harvest_s=round(harvest_s, 1),
                kind="stackexchange")
    return queries, meta


def rank_all(queries: dict) -> dict:
    """Per query: the dense and keyword rankings (production code, depth ``DEPTH``) and the plain baseline."""
    from django.db import connection

    from search.backends.database import postgres_plain_fts
    from search.engine import clean_query
    from search.ranking import dense_ranking, keyword_ranking

    postgres = connection.vendor == "postgresql"
    out = {}
    for qid, query in queries.items():
        text = clean_query(query["text"])
        exclude = query["exclude"]
        dense = [hit for hit in dense_ranking(text, depth=DEPTH + 1) if hit[0] != exclude][:DEPTH]
        keyword = [hit for hit in keyword_ranking(text, depth=DEPTH + 1) if hit[0] != exclude][:DEPTH]
        plain = [hit for hit in postgres_plain_fts(text, limit=11) if hit[0] != exclude][:10] if postgres else None
        out[qid] = {"dense": dense, "keyword": keyword, "plain": plain}
    return out


def worker(path: Path, database: str, with_body: bool) -> dict:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Indexing happens once, in build_index, not per harvested batch.
    settings.SEARCH_AUTO_INDEX = False
    faq = stackfaq_file(path)
    queries, meta = load_stackfaq(faq) if faq else load_stackexchange(path, with_body)
    started = time.perf_counter()
    rankings = rank_all(queries)
    meta["rank_s"] = round(time.perf_counter() - started, 1)
    return {"database": database, "meta": meta, "queries": queries, "rankings": rankings}


# -- the driver ------------------------------------------------------------------------------

def run_worker(path: Path, database: str, env: dict, with_body: bool) -> dict | None:
    args = [sys.executable, __file__, str(path), "--worker", database] + (["--with-body"] if with_body else [])
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-6000:])
        print(f"{database}: the evaluation failed (exit {done.returncode})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="Stack Exchange dump folder/archive, or the StackFAQ folder")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL server for the postgres_fts baseline (a throwaway database is made)")
    parser.add_argument("--with-body", action="store_true", help="also run title+body queries (Stack Exchange)")
    parser.add_argument("--skip-sqlite", action="store_true",
                        help="with --database-url: evaluate on PostgreSQL only (halves the time)")
    parser.add_argument("--save", type=Path, help="also write the raw rankings to this JSON file")
    parser.add_argument("--from-saved", action="store_true",
                        help="PATH is a file written by --save: re-score it (e.g. with another SEARCH_ALPHA)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    path = opts.path.resolve()
    if opts.worker:
        print(json.dumps(worker(path, opts.worker, opts.with_body)))
        return 0
    if not path.exists():
        parser.error(f"nothing at {path}")
    sys.path.insert(0, str(REPO))
    results = json.loads(path.read_text()) if opts.from_saved else run_databases(path, opts)
    if not results:
        return 1
    if opts.save:
        opts.save.write_text(json.dumps(results))
    mains = [summarize(result) for result in results]
    print(json.dumps(summary_json(mains[-1])))
    return 0


def run_databases(path: Path, opts) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="gleaner-eval-") as tmp:
        base_env = {**os.environ, "GLEANER_DATA_DIR": tmp, "SEARCH_INDEX_DIR": str(Path(tmp) / "index"),
                    "LOG_LEVEL": "WARNING", "DEBUG": "true", "CELERY_BROKER_URL": "",
                    "CELERY_TASK_ALWAYS_EAGER": "true"}
        postgres = opts.database_url.startswith(("postgres://", "postgresql://"))
        if not (opts.skip_sqlite and postgres):
            result = run_worker(path, "sqlite", {**base_env, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'eval.sqlite3'}"},
                                opts.with_body)
            if result:
                results.append(result)
        if postgres:
            import psycopg

            try:
                admin = psycopg.connect(with_database(opts.database_url, "postgres"), autocommit=True,
                                        connect_timeout=5)
            except Exception as exc:  # noqa: BLE001 - no server: report SQLite only
                print(f"postgresql: not reachable ({exc}); skipped", file=sys.stderr)
            else:
                name = f"gleaner_eval_{uuid.uuid4().hex[:10]}"
                admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    pg_env = {**base_env, "DATABASE_URL": with_database(opts.database_url, name),
                              "SEARCH_INDEX_DIR": str(Path(tmp) / "index-pg")}
                    result = run_worker(path, "postgresql", pg_env, opts.with_body)
                    if result:
                        results.append(result)
                finally:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.close()
        else:
            print("postgresql: no --database-url or DATABASE_URL; postgres_fts skipped", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main())
