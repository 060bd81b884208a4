"""Scoring for ``eval_search.py``: fuse saved rankings, tune on dev, report the test half.

Pure over the worker's JSON (rankings per query, labels, splits); the only Django
piece read is the configured fusion (``fusion``: settings fill what a config leaves out).
"""
from __future__ import annotations

import os

ALPHAS = [round(i * 0.05, 2) for i in range(21)]
RRF_KS = [0, 1, 2, 5, 10, 20, 30, 60, 100]
SYSTEMS = ("keyword", "dense", "hybrid", "postgres_fts", "shipped")


def fusion(**values):
    """A fusion config: the configured one (``SEARCH_FUSION``/``SEARCH_ALPHA``/``SEARCH_RRF_K``, env or
    settings) with ``values`` replacing settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from search.backends.fusion import FusionConfig

    return FusionConfig.from_settings(**values)


def _fused(ranking: dict, config) -> list[int]:
    from search.backends.fusion import fuse

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
    def dev(config) -> float:
        return score(result, run=run, label_set=None, split="dev", config=config).get("ndcg@10", 0.0)

    convex = max(ALPHAS, key=lambda a: (dev(fusion(method="convex", alpha=a)), -abs(a - 0.5)))
    rrf_k = max(RRF_KS, key=lambda k: (dev(fusion(method="rrf", rrf_k=k)), k == 60))
    best_convex, best_rrf = dev(fusion(method="convex", alpha=convex)), dev(fusion(method="rrf", rrf_k=rrf_k))
    winner = (fusion(method="convex", alpha=convex) if best_convex >= best_rrf
              else fusion(method="rrf", rrf_k=rrf_k))
    return {"alpha": convex, "rrf_k": rrf_k, "dev_convex": best_convex, "dev_rrf": best_rrf, "winner": winner,
            "dev_dense": dev(fusion(method="dense")), "dev_keyword": dev(fusion(method="keyword"))}


def shipped_config():
    """The configured default."""
    return fusion()


def report(result: dict, *, run: str | None, label_set: str | None, tuned: dict) -> dict:
    shipped = shipped_config()
    configs = {
        "keyword": fusion(method="keyword"),
        "dense": fusion(method="dense"),
        f"convex α={tuned['alpha']}": fusion(method="convex", alpha=tuned["alpha"]),
        f"rrf k={tuned['rrf_k']}": fusion(method="rrf", rrf_k=tuned["rrf_k"]),
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
