"""Rankings for ``eval_relevance.py``: every site's queries against every site's index.

Each dataset (a Stack Exchange dump folder, or the StackFAQ folder) is indexed
in a process of its own, in an SQLite database under the working directory
(``--cache`` keeps it, so the texts are embedded once), with the product's own
code (``eval_search.load_stackexchange`` / ``load_stackfaq``). Then each index
ranks:

- its own labelled queries (StackFAQ paraphrases; a duplicate's title, and its
  title + body, whose relevant result is the question it duplicates);
- the same queries with their relevant document withheld (an in-domain question
  the index has no answer for);
- the other sites' probe queries (question titles, title + body, paraphrases):
  out of domain, nothing relevant;
- a keyword version of each labelled query and of each probe title or
  paraphrase (form ``keywords``): its two or three most distinctive words (by
  IDF over its own site's documents), as customers type them into a search box.

For every query it records what search computes before fusion: the dense
ranking (best-passage cosine) and the keyword ranking (BM25), 30 deep as for a
page of 10. ``eval_relevance.py`` fuses, fits and scores.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPTH = 30  # what production ranks per ranker for a 10-result page
PROBES = 200  # titles a site offers the other sites
PROBE_BODIES = 60  # title + body probes a site offers
SEED = 29
KEYWORD_SIZES = (2, 2, 3)  # words in a keyword query, drawn per query


def keyword_query(text: str, idf: dict[str, float], rng: random.Random) -> str:
    """``text``'s most distinctive words (highest ``idf``; words its site never uses left out), two or
    three of them in the order written: what a customer types instead of a question."""
    from search.engine.query import query_terms

    terms = [t for t in query_terms(text.split("\n")[0]) if t in idf and not t.isdigit()]
    size = rng.choice(KEYWORD_SIZES)
    chosen = set(sorted(terms, key=lambda t: -idf[t])[:size])
    return " ".join(t for t in terms if t in chosen)


def site_idf() -> dict[str, float]:
    """Inverse document frequency of every query term in the active documents (title and text)."""
    import math

    from search.engine.query import query_terms
    from search.models import Document

    counts: dict[str, int] = {}
    rows = Document.objects.filter(is_active=True).values_list("title", "text")
    for title, text in rows:
        for term in set(query_terms(f"{title}\n{text}")):
            counts[term] = counts.get(term, 0) + 1
    n = max(1, len(rows))
    return {term: math.log((n + 1) / (count + 0.5)) for term, count in counts.items()}


def with_keyword_queries(queries: dict, probes: list[dict], rng: random.Random) -> None:
    """Add the keyword version of each labelled query (titles and paraphrases, not title + body) and
    of each probe title or paraphrase."""
    idf = site_idf()
    for qid, query in list(queries.items()):
        if query["form"] in ("title", "paraphrase") and not query.get("withheld"):
            short = keyword_query(query["text"], idf, rng)
            if short:
                queries[f"{qid}|keywords"] = {**query, "text": short, "form": "keywords"}
    for probe in list(probes):
        if probe["form"] in ("title", "paraphrase"):
            short = keyword_query(probe["text"], idf, rng)
            if short:
                probes.append({"text": short, "form": "keywords"})


def dataset_name(path: Path) -> str:
    name = path.name
    for prefix in ("stackexchange-",):
        name = name.removeprefix(prefix)
    return name.split(".")[0]


def find_datasets(root: Path) -> list[Path]:
    """The labelled or probe-worthy datasets under ``root`` (or ``root`` itself)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from eval_search import stackfaq_file

    def usable(path: Path) -> bool:
        return stackfaq_file(path) is not None or (path / "Posts.xml").is_file()

    if usable(root):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and usable(p))


# -- the worker: one dataset, one database, one process -----------------------------------------

def _setup(workdir: Path) -> None:
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}", "GLEANER_DATA_DIR": str(workdir),
        "SEARCH_INDEX_DIR": str(workdir / "index"), "LOG_LEVEL": "WARNING", "DEBUG": "true",
        "CELERY_BROKER_URL": "", "CELERY_TASK_ALWAYS_EAGER": "true", "SEARCH_AUTO_INDEX": "false",
    })
    # The repository first: bench/search.py must not shadow the search package.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _question_text(thread) -> str:
    from search.engine import html_to_text, markdown_to_text

    question = thread.posts.filter(is_question=True).first()
    if question is None:
        return thread.title
    body = html_to_text(question.body) if question.body_format == "html" else markdown_to_text(question.body)
    return f"{thread.title}\n{body}"


def build(path: Path, workdir: Path) -> dict:
    """Index ``path`` into ``workdir`` and return its queries: labelled, and probes for other sites."""
    _setup(workdir)
    from django.core.management import call_command

    from eval_search import load_stackexchange, load_stackfaq, read_stackfaq, stackfaq_file
    from search.models import Document

    call_command("migrate", verbosity=0)
    faq = stackfaq_file(path)
    rng = random.Random(SEED)
    probes: list[dict] = []
    if faq:
        queries, meta = load_stackfaq(faq)
        for query in queries.values():
            query["form"] = "paraphrase"
        texts = [q for pair in read_stackfaq(faq) for q in pair["first"] + pair["second"]]
        probes = [{"text": text, "form": "paraphrase"} for text in rng.sample(texts, min(PROBES, len(texts)))]
    else:
        from community.models import Thread

        queries, meta = load_stackexchange(path, with_body=True)
        for query in queries.values():
            query["form"] = query.pop("run")
        active = set(Document.objects.filter(kind="thread", is_active=True).values_list("object_id", flat=True))
        threads = sorted(Thread.objects.filter(pk__in=active), key=lambda t: t.pk)
        chosen = rng.sample(threads, min(PROBES, len(threads)))
        probes = [{"text": t.title, "form": "title"} for t in chosen]
        probes += [{"text": _question_text(t), "form": "title+body"} for t in chosen[:PROBE_BODIES]]
        doc_of = dict(Document.objects.filter(kind="thread").values_list("object_id", "id"))
        # In domain, own thread withheld: a question the index (mostly) cannot answer.
        for thread in chosen[:PROBES // 2]:
            queries[f"own-{thread.pk}"] = {"text": thread.title, "labels": {}, "split": "test",
                                           "exclude": doc_of.get(thread.pk), "form": "title", "withheld": True}
    with_keyword_queries(queries, probes, rng)
    titles = {str(pk): title for pk, title in Document.objects.values_list("id", "title")}
    return {"site": dataset_name(path), "meta": meta, "queries": queries, "probes": probes, "titles": titles}


def rank(workdir: Path, queries: list[dict]) -> list[dict]:
    """The dense and keyword rankings of each query (production code, ``DEPTH`` each)."""
    _setup(workdir)
    from search.engine import clean_query
    from search.ranking import dense_ranking, keyword_ranking

    out = []
    for query in queries:
        text = clean_query(query["text"])
        exclude = query.get("exclude")
        dense = [hit for hit in dense_ranking(text, depth=DEPTH + 1) if hit[0] != exclude][:DEPTH]
        keyword = [hit for hit in keyword_ranking(text, depth=DEPTH + 1) if hit[0] != exclude][:DEPTH]
        out.append({"dense": dense, "keyword": keyword})
    return out


def run(args: list[str], payload: dict | None = None) -> dict | list:
    done = subprocess.run([sys.executable, __file__, *args], input=json.dumps(payload or {}), cwd=REPO,
                          capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-6000:])
        raise SystemExit(f"{' '.join(args[:2])}: the worker failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect(paths: list[Path], cache: Path) -> dict:
    """Every site's queries ranked against every site's index:
    ``{"sites": {site: meta}, "runs": [...], "titles": {site: {document id: title}}}``.

    Kept in ``cache/rankings.json``; delete it (not the databases) to rank again.
    """
    saved = cache / "rankings.json"
    if saved.is_file():
        return json.loads(saved.read_text())
    sites = {}
    for path in paths:
        workdir = cache / dataset_name(path)
        workdir.mkdir(parents=True, exist_ok=True)
        built = workdir / "queries.json"
        if not built.is_file():
            print(f"indexing {path.name} ...", file=sys.stderr, flush=True)
            built.write_text(json.dumps(run(["build", str(path), str(workdir)])))
        sites[dataset_name(path)] = json.loads(built.read_text())
    runs = []
    for name, site in sites.items():
        batch = [{"site": name, "qsite": name, "qid": qid, **query} for qid, query in site["queries"].items()]
        # The same labelled queries with their relevant documents withheld.
        for qid, query in site["queries"].items():
            gold = {int(doc) for grades in query["labels"].values() for doc, grade in grades.items() if grade >= 1}
            if len(gold) == 1:
                batch.append({"site": name, "qsite": name, "qid": f"{qid}|withheld", **query,
                              "exclude": next(iter(gold)), "withheld": True, "labels": {}})
        for other, theirs in sites.items():
            if other != name:
                batch += [{"site": name, "qsite": other, "qid": f"{other}-probe-{i}", "labels": {}, "split": "test",
                           "exclude": None, **probe} for i, probe in enumerate(theirs["probes"])]
        print(f"ranking {len(batch)} queries against {name} ...", file=sys.stderr, flush=True)
        ranked = run(["rank", "-", str(cache / name)], {"queries": batch})
        for query, ranking in zip(batch, ranked):
            runs.append({**query, **ranking})
    result = {"sites": {name: site["meta"] for name, site in sites.items()}, "runs": runs,
              "titles": {name: site["titles"] for name, site in sites.items()}}
    saved.write_text(json.dumps(result))
    return result


if __name__ == "__main__":
    command, target, workdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if command == "build":
        print(json.dumps(build(Path(target), workdir)))
    else:
        print(json.dumps(rank(workdir, json.loads(sys.stdin.read())["queries"])))
