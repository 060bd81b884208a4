"""Evaluate Gleaner's clustering on a Stack Exchange dump against its PostLinks.

Usage: python bench/eval_clusters.py DUMP_DIR [--min-size 2]

Harvests the dump into a throwaway SQLite database (a temp folder: migrate,
``source_create`` + ``source_harvest``, which stores the dump's links as the
product does), embeds and clusters every question through
``kb.services.clustering.clusters_rebuild`` (the product path: problem
clusters following the harvested duplicate links, drafts off), and scores the
problem clusters against the dump's links. B-cubed is against duplicate links
alone (LinkTypeId 3: gold same-problem pairs) over every linked question, so a
related pair (LinkTypeId 1: same topic, another problem) clustered together
costs precision. The TF-IDF keyword baseline is tuned to the same coverage
(share of questions in a cluster of ≥ 2), because a stricter threshold always
looks more precise. Then the pure core on the same dump from text alone
(``bench/eval_problems.py``), where "duplicates together" is a test rather
than the links themselves. Prints tables, then one JSON object on the last line.

Vectors are cached across runs in a temp file keyed by (text, model), so only
the first run on a dump pays for the model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def setup_django(workdir: Path) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'eval.sqlite3'}",
        "GLEANER_DATA_DIR": str(workdir),
        "SEARCH_INDEX_DIR": str(workdir / "index"),
        "SEARCH_AUTO_INDEX": "false",
        "CELERY_BROKER_URL": "",
    })
    import django

    django.setup()
    from django.conf import settings

    settings.KB_AUTO_CLUSTER = False  # the benchmark runs the clustering itself, once


def cache_path(model: str) -> Path:
    return Path(tempfile.gettempdir()) / f"gleaner-eval-vectors-{model}.npz"


def cache_load(model: str) -> int:
    """Copy cached vectors into the throwaway Embedding table."""
    from search.models import Embedding

    path = cache_path(model)
    if not path.exists():
        return 0
    data = np.load(path)
    rows = [Embedding(key=str(k), model_name=model, dim=v.shape[0], vector=np.asarray(v, "<f4").tobytes())
            for k, v in zip(data["keys"], data["vectors"])]
    Embedding.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def cache_save(model: str) -> None:
    from search.models import Embedding

    known: dict[str, np.ndarray] = {}
    path = cache_path(model)
    if path.exists():
        data = np.load(path)
        known = dict(zip(map(str, data["keys"]), data["vectors"]))
    for key, blob in Embedding.objects.filter(model_name=model).values_list("key", "vector"):
        known[key] = np.frombuffer(bytes(blob), dtype="<f4")
    keys = sorted(known)
    np.savez(path, keys=np.array(keys), vectors=np.vstack([known[k] for k in keys]).astype(np.float32))


def links(dump: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    dups, related = [], []
    for _, row in etree.iterparse(str(dump / "PostLinks.xml"), tag="row"):
        a, b = row.get("PostId"), row.get("RelatedPostId")
        if a != b:
            (dups if row.get("LinkTypeId") == "3" else related).append((a, b))
        row.clear()
    return dups, related


def scores(groups: list[list[str]], n: int, dups, related) -> dict[str, float]:
    from kb.engine.clustering.metrics import bcubed, coverage, gold_groups_from_pairs, linked_share, pairs_together

    items = {x for pair in dups + related for x in pair}
    p, r, f = bcubed(groups, gold_groups_from_pairs(dups), items=items)
    return {"coverage": coverage(groups, n), "clusters": len(groups), "dup": pairs_together(groups, dups),
            "rel": pairs_together(groups, related), "P": p, "R": r, "F1": f,
            "linked": linked_share(groups, dups + related)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="folder with Posts.xml and PostLinks.xml")
    parser.add_argument("--min-size", type=int, default=None)
    args = parser.parse_args()
    dump = args.dump.resolve()
    if not (dump / "Posts.xml").exists() or not (dump / "PostLinks.xml").exists():
        parser.error(f"{dump} has no Posts.xml and PostLinks.xml")

    with tempfile.TemporaryDirectory(prefix="gleaner-eval-") as tmp:
        setup_django(Path(tmp))
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from community.models import Thread
        from harvest.services import source_create, source_harvest
        from kb.engine.clustering.baseline import tune_to_coverage
        from kb.services.clustering import clusters_rebuild
        from kb.models import ClusterMember
        from kb.question_vectors import question_texts
        from search.embeddings import get_embedder

        t0 = time.perf_counter()
        source = source_create(name=dump.name, kind="stackexchange", path=str(dump))
        run = source_harvest(source=source)
        t_harvest = time.perf_counter() - t0
        embedder = get_embedder()
        cached = cache_load(embedder.name)
        t0 = time.perf_counter()
        report = clusters_rebuild(embedder=embedder, min_size=args.min_size, draft=False)
        t_cluster = time.perf_counter() - t0
        cache_save(embedder.name)

        external = dict(Thread.objects.filter(source=source).values_list("id", "external_id"))
        texts = question_texts()
        ids = [external[pk] for pk in sorted(texts)]
        known = set(ids)
        dups, related = links(dump)
        dups = [p for p in dups if p[0] in known and p[1] in known]
        related = [p for p in related if p[0] in known and p[1] in known]
        members: dict[int, list[str]] = {}
        for cid, tid in ClusterMember.objects.values_list("cluster_id", "thread_id"):
            members.setdefault(cid, []).append(external[tid])
        gleaner = scores(list(members.values()), len(ids), dups, related)
        tuned = tune_to_coverage([texts[pk] for pk in sorted(texts)], gleaner["coverage"])
        tfidf = scores([[ids[i] for i in g] for g in tuned.clusters], len(ids), dups, related)

    print(f"{dump.name}: {len(ids)} questions ({run.new_count} posts harvested in {t_harvest:.0f}s), "
          f"{report.embedded} embedded now ({cached} cached), clustered in {t_cluster:.0f}s; "
          f"{len(dups)} duplicate + {len(related)} related links with both ends present")
    print(f"TF-IDF threshold tuned to {tuned.threshold:.3f} (coverage hit: {tuned.hit})\n")
    rows = [("coverage", "coverage"), ("clusters", "clusters"), ("duplicate pairs together", "dup"),
            ("related pairs together", "rel"), ("B-cubed precision", "P"), ("B-cubed recall", "R"),
            ("B-cubed F1", "F1"), ("co-clustered pairs linked", "linked")]
    print("product problem clusters (B-cubed against duplicate links; items: every linked question)")
    print(f"{'metric':<28}{'gleaner':>10}{'tfidf':>10}")
    for label, key in rows:
        fmt = "{:>10d}" if key == "clusters" else "{:>10.3f}"
        print(f"{label:<28}{fmt.format(gleaner[key])}{fmt.format(tfidf[key])}")
    both = lambda key: {"gleaner": round(gleaner[key], 4), "tfidf": round(tfidf[key], 4)}  # noqa: E731
    problem = problem_level(dump)
    print("\npure core on the same dump (bench/eval_problems.py): text alone, and following the links")
    print(f"{'':<16}{'coverage':>9}{'clusters':>9}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'dups':>7}{'related':>8}")
    for row, v in problem.items():
        print(f"{row:<16}{v['coverage']:>9.3f}{v['clusters']:>9d}{v['P']:>7.3f}{v['R']:>7.3f}{v['F1']:>7.3f}"
              f"{v['dup']:>7.2f}{v['rel']:>8.2f}")
    print(json.dumps({
        "questions": len(ids), "clusters": gleaner["clusters"], "coverage": round(gleaner["coverage"], 4),
        "bcubed_precision": both("P"), "bcubed_recall": both("R"), "bcubed_f1": both("F1"),
        "duplicate_pairs_together": both("dup"), "related_pairs_together": both("rel"),
        "problem_level": {row: {k: round(x, 4) if isinstance(x, float) else x for k, x in v.items()}
                          for row, v in problem.items()},
    }))


def problem_level(dump: Path) -> dict[str, dict]:
    """Problem clusters of the same dump with the pure core (``bench/eval_problems.py``)."""
    sys.path.append(str(Path(__file__).resolve().parent))
    import eval_problems

    return eval_problems.stack_exchange(dump.parent, dump.name)


if __name__ == "__main__":
    main()
