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
DEPTH = 30  # what production ranks per ranker for a 10-result page (search.ranking.rank)
ALPHAS = [round(i * 0.05, 2) for i in range(21)]
RRF_KS = [0, 1, 2, 5, 10, 20, 30, 60, 100]
SEED = 13
SYSTEMS = ("keyword", "dense", "hybrid", "postgres_fts", "shipped")


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
    from search.indexing import index_documents, index_rebuild
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

    from search.documents import document_upsert
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
    from harvest.importers.stackexchange.links import read_post_links
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

    from search.engine import clean_query
    from search.keyword import postgres_plain_fts
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


# -- scoring (pure, in the driver) ---------------------------------------------------------

def _fused(ranking: dict, config) -> list[int]:
    from search.ranking import fuse

    return [hit.document_id for hit in fuse(ranking["dense"], ranking["keyword"], config=config)[:10]]


def score(result: dict, *, run: str | None, label_set: str | None, split: str, config) -> dict:
    """Mean metrics of one fusion config over the queries of one run/label set/split."""
    from search.engine import evaluate

    runs, qrels = {}, {}
    for qid, query in result["queries"].items():
        if query["split"] != split or (run and query.get("run") != run):
            continue
        sets = query["labels"]
        relevant: dict = {}
        for name, grades in sets.items():
            if label_set is None or name == label_set:
                for doc, grade in grades.items():
                    relevant[int(doc)] = max(relevant.get(int(doc), 0.0), grade)
        if not relevant:
            continue
        qrels[qid] = relevant
        ranking = result["rankings"][qid]
        if config == "plain":
            runs[qid] = [doc for doc, _ in ranking["plain"]] if ranking["plain"] is not None else None
        else:
            runs[qid] = _fused(ranking, config)
    if any(value is None for value in runs.values()):
        return {}
    return evaluate(runs, qrels, k=10)


def tune(result: dict, *, run: str | None) -> dict:
    from search.ranking import FusionConfig

    def dev(config) -> float:
        return score(result, run=run, label_set=None, split="dev", config=config).get("ndcg@10", 0.0)

    convex = max(ALPHAS, key=lambda a: (dev(FusionConfig(method="convex", alpha=a)), -abs(a - 0.5)))
    rrf_k = max(RRF_KS, key=lambda k: (dev(FusionConfig(method="rrf", rrf_k=k)), k == 60))
    best_convex, best_rrf = dev(FusionConfig(method="convex", alpha=convex)), dev(FusionConfig(method="rrf", rrf_k=rrf_k))
    winner = (FusionConfig(method="convex", alpha=convex) if best_convex >= best_rrf
              else FusionConfig(method="rrf", rrf_k=rrf_k))
    return {"alpha": convex, "rrf_k": rrf_k, "dev_convex": best_convex, "dev_rrf": best_rrf, "winner": winner,
            "dev_dense": dev(FusionConfig(method="dense")), "dev_keyword": dev(FusionConfig(method="keyword"))}


def shipped_config():
    """The configured default (``SEARCH_FUSION``/``SEARCH_ALPHA``/``SEARCH_RRF_K``, env or settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from search.ranking import FusionConfig

    return FusionConfig(method=settings.SEARCH_FUSION, alpha=settings.SEARCH_ALPHA, rrf_k=settings.SEARCH_RRF_K)


def report(result: dict, *, run: str | None, label_set: str | None, tuned: dict) -> dict:
    from search.ranking import FusionConfig

    shipped = shipped_config()
    configs = {
        "keyword": FusionConfig(method="keyword"),
        "dense": FusionConfig(method="dense"),
        f"convex α={tuned['alpha']}": FusionConfig(method="convex", alpha=tuned["alpha"]),
        f"rrf k={tuned['rrf_k']}": FusionConfig(method="rrf", rrf_k=tuned["rrf_k"]),
        "hybrid": tuned["winner"],
        "postgres_fts": "plain",
        "shipped": shipped,
    }
    return {name: score(result, run=run, label_set=label_set, split="test", config=config)
            for name, config in configs.items()}


def print_table(title: str, rows: dict) -> None:
    print(f"\n{title}")
    print(f"  {'system':<18} {'queries':>7} {'Recall@10':>10} {'MRR@10':>8} {'nDCG@10':>8}")
    for name, figures in rows.items():
        if not figures:
            print(f"  {name:<18} {'-':>7} {'n/a (PostgreSQL only)':>28}")
            continue
        print(f"  {name:<18} {figures['queries']:>7} {figures['recall@10']:>10.3f} "
              f"{figures['mrr@10']:>8.3f} {figures['ndcg@10']:>8.3f}")


def summarize(result: dict) -> dict:
    """Print every table of one database; return the main figures (first run, all labels)."""
    meta = result["meta"]
    print(f"\n=== {result['database']}: {meta['documents']} documents indexed "
          f"({meta.get('index_s')} s), {len(result['queries'])} queries ranked ({meta['rank_s']} s); "
          f"shipped = {shipped_config()}")
    runs = sorted({q.get("run") for q in result["queries"].values()}, key=lambda r: (r != "title", str(r)))
    main = None
    for run in runs:
        tuned = tune(result, run=run)
        winner = tuned["winner"]
        print(f"--- run {run or 'paraphrases'}: tuned on dev nDCG@10: convex α={tuned['alpha']} "
              f"({tuned['dev_convex']:.3f}), rrf k={tuned['rrf_k']} ({tuned['dev_rrf']:.3f}), "
              f"dense {tuned['dev_dense']:.3f}, keyword {tuned['dev_keyword']:.3f} -> hybrid = {winner.method}")
        label_sets = sorted({name for q in result["queries"].values() for name in q["labels"]})
        for label_set in ([None] + label_sets if len(label_sets) > 1 else [None]):
            rows = report(result, run=run, label_set=label_set, tuned=tuned)
            what = label_set or ("all labels (duplicates 1.0, related 0.5)" if len(label_sets) > 1 else label_sets[0])
            print_table(f"{result['database']} · {run or 'paraphrases'} · {what} · test half", rows)
            if main is None:
                main = rows
    return main


def summary_json(rows: dict) -> dict:
    def pick(metric: str) -> dict:
        return {name: (round(rows[name][metric], 4) if rows.get(name) else None) for name in SYSTEMS}

    return {"queries": rows["dense"]["queries"], "ndcg@10": pick("ndcg@10"), "recall@10": pick("recall@10"),
            "mrr@10": pick("mrr@10")}


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
