"""Calibrated relevance on real data: fit the model, measure it on sites it never saw.

    .venv/bin/python bench/eval_relevance.py ../shared/data [--cache DIR] [--floor 0.2] [--write]
        [--before | --without-length]

PATH is a folder of datasets (Stack Exchange dump folders, the StackFAQ folder),
or several such paths. ``bench/relevance_data.py`` indexes each with the
product's code and ranks every site's queries against every site's index;
``--cache DIR`` keeps the databases and rankings (each text is embedded once;
delete ``DIR/rankings.json`` to rank again). Then, for every query, the top 10
results of the shipped fusion are scored by ``search.engine.relevance`` — the
same evidence the product computes — and labelled:

- relevant: the StackFAQ thread a paraphrase was written for; the question a
  Stack Exchange duplicate was closed against;
- not relevant: every other StackFAQ thread; everything another site's index
  returns (out of domain);
- left out: other results of a Stack Exchange duplicate's title. Duplicate
  links are sparse, and many of those results ask the same thing without a
  link (read them: ``--show``), so counting them as not relevant would teach
  the model that a near-duplicate is a miss.

Every labelled query and every probe title or paraphrase also comes as a keyword
query (its two or three most distinctive words, ``relevance_data.keyword_query``),
labelled as the query it was made from; figures are printed for full queries
(as before keyword queries were added) and for keyword queries apart.
``--before`` measures the model as it was before them (no short-query
features, fitted without keyword queries); ``--without-length`` fits on them
without the short-query features (what the features add).

Held out: the model that scores a site's own queries never saw that site
(StackFAQ: never its test half, the second five paraphrases of each thread);
the model that scores site A's queries against site B's index never saw A or B.
Printed: reliability bins and ECE, the share of out-of-domain queries with
``no_good_match`` per site pair, in-domain recall@10 kept, and the share of
in-domain questions whose answer was withheld from the index that are flagged.
``--write`` fits on everything and writes ``search/engine/relevance.json``.
The last line is a JSON summary.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository first: bench/search.py must not shadow the search package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from relevance_data import collect, find_datasets  # noqa: E402
from search.engine.relevance import (  # noqa: E402
    DEFAULT_FLOOR,
    MODEL_FILE,
    LogisticModel,
    RelevanceModel,
    evidence,
    expected_calibration_error,
    no_good_match,
    reliability,
)

TOP = 10
FEATURES = {"hybrid": ("cosine", "margin", "agreement", "short", "short_cosine", "short_agreement"),
            "dense": ("cosine", "margin", "short", "short_cosine"),
            "keyword": ("keyword_reciprocal_rank",)}
# What the model read before short queries were judged on their own (``--without-length``).
WITHOUT_LENGTH = {"hybrid": ("cosine", "margin", "agreement"), "dense": ("cosine", "margin"),
                  "keyword": ("keyword_reciprocal_rank",)}
KEYWORDS = "keywords"  # the form of the keyword queries (``relevance_data.keyword_query``)
FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
L2 = 1e-3


@dataclass
class Row:
    query: int
    site: str  # the index
    qsite: str  # where the query comes from
    group: str  # "in" (labelled, in domain), "out", "withheld" (in domain, answer withheld)
    form: str
    split: str
    label: int | None  # 1 relevant, 0 not, None left out
    features: dict
    evidence: object = None  # search.engine.relevance.Evidence


def _group(run: dict) -> str:
    if run["qsite"] != run["site"]:
        return "out"
    if run.get("withheld") or not _gold(run):
        return "withheld"
    return "in"


def _gold(run: dict) -> set[int]:
    return {int(doc) for grades in run["labels"].values() for doc, grade in grades.items() if grade >= 1}


def _top(run: dict, mode: str, config) -> list[int]:
    from dataclasses import replace

    from search.backends.fusion import fuse

    dense = [tuple(item) for item in run["dense"]] if mode != "keyword" else []
    keyword = [tuple(item) for item in run["keyword"]] if mode != "dense" else []
    if mode in ("dense", "keyword"):
        config = replace(config, method=mode)
    return [hit.document_id for hit in fuse(dense, keyword, config=config)[:TOP]]


def build_rows(runs: list[dict], mode: str, config, features: dict = FEATURES) -> tuple[list[Row], dict]:
    """One row per (query, top-10 result); also, per query, its gold and its top-10 ids."""
    rows, queries = [], {}
    for number, run in enumerate(runs):
        group, gold = _group(run), _gold(run)
        top = _top(run, mode, config)
        dense = [tuple(item) for item in run["dense"]] if mode != "keyword" else []
        keyword = [tuple(item) for item in run["keyword"]] if mode != "dense" else []
        queries[number] = {"gold": gold, "top": top, "group": group, "site": run["site"], "qsite": run["qsite"],
                           "form": run["form"], "split": run["split"], "text": run["text"]}
        for doc, item in zip(top, evidence(top, dense=dense, keyword=keyword, query=run["text"])):
            if group == "out":
                label = 0
            elif group == "in":
                label = 1 if doc in gold else (0 if run["site"] == "stackfaq" else None)
            else:
                label = None
            rows.append(Row(query=number, site=run["site"], qsite=run["qsite"], group=group, form=run["form"],
                            split=run["split"], label=label, evidence=item,
                            features={name: item.value(name) for name in features[mode]}))
    return rows, queries


def _weights(rows: list[Row]) -> np.ndarray:
    """StackFAQ paraphrases and Stack Exchange duplicates weigh the same in total, and all
    in-domain queries together as much as all out-of-domain ones: the model should not learn
    how many of each this data set happened to hold."""
    kind = ["out" if r.group == "out" else ("faq" if r.site == "stackfaq" else "se") for r in rows]
    queries = collections.defaultdict(set)
    for r, k in zip(rows, kind):
        queries[k].add(r.query)
    share = {"faq": 0.5 if queries["se"] else 1.0, "se": 0.5 if queries["faq"] else 1.0, "out": 1.0}
    return np.array([share[k] / len(queries[k]) for k in kind])


def fit(rows: list[Row], features: tuple[str, ...]) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    usable = [r for r in rows if r.label is not None]
    x = np.array([[r.features[name] for name in features] for r in usable])
    y = np.array([r.label for r in usable])
    weights = _weights(usable)
    model = LogisticRegression(C=1.0 / (L2 * len(usable)), max_iter=1000)
    model.fit(x, y, sample_weight=weights * len(usable) / weights.sum())
    return LogisticModel(features=features, weights=tuple(float(w) for w in model.coef_[0]),
                         intercept=float(model.intercept_[0]))


def predict(model: LogisticModel, row: Row) -> float:
    return model.probability(row.evidence)


def fittable(rows: list[Row]) -> bool:
    return {r.label for r in rows} >= {0, 1}


def held_out(rows: list[Row], sites: list[str], features, *, fit_keywords: bool = True) -> dict[int, float]:
    """Each row's relevance from a model that never saw its sites (see the module docstring).
    Rows whose held-out training set lacks relevant or irrelevant results (too few sites) get none.
    ``fit_keywords=False`` fits without the keyword queries (as models were before they were added)."""
    predicted: dict[int, float] = {}
    fitting = rows if fit_keywords else [r for r in rows if r.form != KEYWORDS]
    for site in sites:
        train = [r for r in fitting if site not in (r.site, r.qsite)
                 or (site == "stackfaq" and r.group == "in" and r.site == "stackfaq" and r.split == "dev")]
        if not fittable(train):
            continue
        model = fit(train, features)
        for i, r in enumerate(rows):
            if r.group != "out" and r.site == site and not (site == "stackfaq" and r.split == "dev"):
                predicted[i] = predict(model, r)
    for a in sites:
        for b in sites:
            if a == b:
                continue
            train = [r for r in fitting if not {a, b} & {r.site, r.qsite}]
            if not fittable(train):
                continue
            model = fit(train, features)
            for i, r in enumerate(rows):
                if r.group == "out" and r.qsite == a and r.site == b:
                    predicted[i] = predict(model, r)
    return predicted


# -- figures ---------------------------------------------------------------------------------------

def per_query(rows: list[Row], predicted: dict[int, float]) -> dict[int, list[tuple[Row, float]]]:
    out = collections.defaultdict(list)
    for i, r in enumerate(rows):
        if i in predicted:
            out[r.query].append((r, predicted[i]))
    return out


def recall_kept(queries: dict, scored: dict, qids: list[int], floor: float, positions: dict) -> tuple:
    """(recall@10, share kept when no_good_match hides the list, share kept when results below the floor
    are hidden) over ``qids``."""
    full = kept_query = kept_result = 0.0
    for q in qids:
        gold = queries[q]["gold"]
        found = [doc for doc in queries[q]["top"] if doc in gold]
        if not found:
            continue
        share = len(found) / len(gold)
        full += share
        relevances = [p for _, p in scored.get(q, [])]
        if not no_good_match(relevances, floor=floor):
            kept_query += share
        by_doc = dict(zip(queries[q]["top"], relevances))
        kept_result += sum(1 for doc in found if by_doc.get(doc, 0.0) >= floor) / len(gold)
    n = len(qids)
    return (full / n if n else 0.0, kept_query / full if full else 0.0, kept_result / full if full else 0.0)


def flagged(scored: dict, qids: list[int], floor: float) -> float:
    """The share of ``qids`` flagged no_good_match, over those with held-out predictions."""
    values = [no_good_match([p for _, p in scored[q]], floor=floor) for q in qids if q in scored]
    return sum(values) / len(values) if values else float("nan")


def print_bins(title: str, pairs: list[tuple[Row, float]], weights=None) -> float:
    if not pairs:
        print(f"\n{title}: no held-out results (too few sites)")
        return float("nan")
    predicted = [p for _, p in pairs]
    relevant = [bool(r.label) for r, _ in pairs]
    ece = expected_calibration_error(predicted, relevant, weights=weights)
    print(f"\n{title}: {len(pairs)} results, ECE {ece:.3f}")
    print(f"  {'bin':<10} {'results':>8} {'mean relevance':>15} {'share relevant':>15}")
    for b in reliability(predicted, relevant, weights=weights):
        if b.count:
            print(f"  {b.low:.1f}-{b.high:.1f}   {b.count:>8} {b.mean_predicted:>15.3f} {b.fraction_relevant:>15.3f}")
    return ece


def report(rows, queries, predicted, sites, floor, mode) -> dict:
    scored = per_query(rows, predicted)
    summary: dict = {"mode": mode, "floor": floor}
    faq_all = [(r, predicted[i]) for i, r in enumerate(rows)
               if i in predicted and r.site == "stackfaq" and r.group == "in" and r.label is not None]
    out_all = [(r, predicted[i]) for i, r in enumerate(rows) if i in predicted and r.group == "out"]
    # The figures of full queries (titles, paraphrases, title + body) first, as before keyword queries
    # were fitted on; then the keyword queries' own.
    faq_test = [(r, p) for r, p in faq_all if r.form != KEYWORDS]
    out = [(r, p) for r, p in out_all if r.form != KEYWORDS]
    faq_keywords = [(r, p) for r, p in faq_all if r.form == KEYWORDS]
    out_keywords = [(r, p) for r, p in out_all if r.form == KEYWORDS]
    se = [(r, predicted[i]) for i, r in enumerate(rows)
          if i in predicted and r.group == "in" and r.site != "stackfaq"]
    print(f"\n##### {mode} model, held out (floor {floor})")
    summary["ece_stackfaq"] = round(print_bins("StackFAQ test half (paraphrase -> its thread)", faq_test), 4)
    summary["ece_out_of_domain"] = round(print_bins("Out of domain (every site pair)", out), 4)
    both = faq_test + out
    weights = [0.5 / len(faq_test) if r.group == "in" else 0.5 / len(out) for r, _ in both] or None
    summary["ece_balanced"] = round(print_bins("StackFAQ test half and out of domain, weighted half each", both,
                                               weights), 4)
    summary["ece_stackfaq_keywords"] = round(print_bins("Keyword queries: StackFAQ test half", faq_keywords), 4)
    summary["ece_out_of_domain_keywords"] = round(print_bins("Keyword queries: out of domain", out_keywords), 4)
    both = faq_keywords + out_keywords
    weights = [0.5 / len(faq_keywords) if r.group == "in" else 0.5 / len(out_keywords) for r, _ in both] or None
    summary["ece_balanced_keywords"] = round(print_bins("Keyword queries: StackFAQ test half and out of domain, "
                                                        "weighted half each", both, weights), 4)
    noisy = [(Row(**{**r.__dict__, "label": r.label or 0}), p) for r, p in se]
    summary["ece_se_duplicates_noisy"] = round(print_bins(
        "Stack Exchange duplicate titles, unlinked results counted as not relevant (a pessimistic bound)", noisy), 4)

    print(f"\nno_good_match and recall@10 kept, by floor (held out; kept Q: the query is not flagged; "
          f"kept R: the relevant result clears the floor)")
    for f in FLOORS:
        parts = []
        for site in sites:
            ood = [q for q, v in queries.items() if v["group"] == "out" and v["site"] == site and q in scored]
            ins = [q for q, v in queries.items() if v["group"] == "in" and v["site"] == site and q in scored]
            part = f"{site}: out {flagged(scored, ood, f):.3f}"
            if ins:
                _, kq, kr = recall_kept(queries, scored, ins, f, None)
                part += f" kept Q {kq:.3f} R {kr:.3f}"
            parts.append(part)
        print(f"  {f:<5} " + " | ".join(parts))

    for keywords, suffix in ((False, ""), (True, "_keywords")):
        print(f"\nOut of domain at floor {floor}, {'keyword' if keywords else 'full'} queries: share flagged "
              f"no_good_match (query site -> index)")
        print("  " + f"{'':<10}" + "".join(f"{s:>10}" for s in sites))
        pairs = {}
        for a in sites:
            line = f"  {a:<10}"
            for b in sites:
                qids = [q for q, v in queries.items() if v["group"] == "out" and v["qsite"] == a
                        and v["site"] == b and (v["form"] == KEYWORDS) == keywords]
                if a == b or not qids:
                    line += f"{'-':>10}"
                    continue
                pairs[f"{a}->{b}"] = round(flagged(scored, qids, floor), 4)
                line += f"{pairs[f'{a}->{b}']:>10.3f}"
            print(line)
        summary[f"out_of_domain_flagged{suffix}"] = pairs
        ood = [q for q, v in queries.items() if v["group"] == "out" and q in scored
               and (v["form"] == KEYWORDS) == keywords]
        summary[f"out_of_domain_flagged_all{suffix}"] = round(flagged(scored, ood, floor), 4)
        print(f"  all pairs: {summary[f'out_of_domain_flagged_all{suffix}']:.3f} of {len(ood)} queries")

    print(f"\nIn domain at floor {floor}")
    print(f"  {'site':<10} {'form':<11} {'queries':>7} {'recall@10':>9} {'kept Q':>7} {'kept R':>7} "
          f"{'answer withheld: flagged':>25}")
    summary["in_domain"] = {}
    for site in sites:
        for form in sorted({v["form"] for v in queries.values() if v["site"] == site and v["group"] != "out"}):
            ins = [q for q, v in queries.items()
                   if v["group"] == "in" and v["site"] == site and v["form"] == form and q in scored]
            withheld = [q for q, v in queries.items()
                        if v["group"] == "withheld" and v["site"] == site and v["form"] == form and q in scored]
            recall, kq, kr = recall_kept(queries, scored, ins, floor, None) if ins else (0.0, 0.0, 0.0)
            rate = flagged(scored, withheld, floor) if withheld else None
            figures = f"{recall:>9.3f} {kq:>7.3f} {kr:>7.3f}" if ins else f"{'-':>9} {'-':>7} {'-':>7}"
            print(f"  {site:<10} {form:<11} {len(ins):>7} {figures} "
                  f"{(f'{rate:.3f} of {len(withheld)}') if rate is not None else '-':>25}")
            summary["in_domain"][f"{site}/{form}"] = {
                "queries": len(ins), "recall@10": round(recall, 4), "kept_query": round(kq, 4),
                "kept_result": round(kr, 4), "withheld_flagged": None if rate is None else round(rate, 4)}
    return summary


def show(rows, queries, predicted, limit: int, titles: dict) -> None:
    """A few queries of each kind with their results' relevance, to read as a user would."""
    scored = per_query(rows, predicted)
    seen = collections.Counter()
    for q, v in queries.items():
        key = (v["site"], v["group"], v["qsite"])
        if q not in scored or seen[key] >= limit:
            continue
        seen[key] += 1
        print(f"\n[{v['group']}: {v['qsite']} query -> {v['site']} index] {v['text'][:100]!r}")
        print("   relevance (cosine)  result")
        for (r, p), doc in zip(scored[q][:4], v["top"]):
            mark = "relevant" if r.label == 1 else ""
            title = titles.get(v["site"], {}).get(str(doc), f"document {doc}")
            print(f"   {p:.2f} (cosine {r.features.get('cosine', float('nan')):.2f}) {title[:80]}"
                  f"{'  <- relevant' if mark else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="+", help="a folder of datasets, or dataset folders")
    parser.add_argument("--cache", type=Path, help="keep the databases and rankings here (default: a temp dir)")
    parser.add_argument("--floor", type=float, default=DEFAULT_FLOOR)
    parser.add_argument("--write", action="store_true", help=f"fit on everything and write {MODEL_FILE.name}")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print N queries of each kind")
    parser.add_argument("--without-length", action="store_true",
                        help="the model without the short-query features (what they add)")
    parser.add_argument("--before", action="store_true",
                        help="as models were before keyword queries: without the short-query features, "
                             "fitted without keyword queries, measured on them too")
    opts = parser.parse_args()
    if opts.write and (opts.before or opts.without_length):
        parser.error("--write ships the full model: leave out --before and --without-length")
    datasets = [d for path in opts.paths for d in find_datasets(path.resolve())]
    if not datasets:
        parser.error("no datasets found (Stack Exchange dump folders with Posts.xml, or the StackFAQ folder)")
    with tempfile.TemporaryDirectory(prefix="gleaner-relevance-") as tmp:
        cache = opts.cache.resolve() if opts.cache else Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        data = collect(datasets, cache)

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from eval_search_report import shipped_config

    config = shipped_config()
    sites = sorted(data["sites"])
    print(f"sites: " + ", ".join(f"{s} ({m['documents']} documents)" for s, m in data["sites"].items()))
    print(f"fusion: {config}; top {TOP} results per query")
    counts = collections.Counter((r["site"] == r["qsite"], _group(r)) for r in data["runs"])
    print("queries: " + ", ".join(f"{g} {n}" for (_, g), n in sorted(counts.items(), key=str)))

    summary, fitted = {}, {}
    for mode in ("hybrid", "dense", "keyword"):
        features = WITHOUT_LENGTH if opts.without_length or opts.before else FEATURES
        rows, queries = build_rows(data["runs"], mode, config, features)
        predicted = held_out(rows, sites, features[mode], fit_keywords=not opts.before)
        summary[mode] = report(rows, queries, predicted, sites, opts.floor, mode)
        if mode == "hybrid" and opts.show:
            show(rows, queries, predicted, opts.show, data.get("titles", {}))
        fitted[mode] = fit([r for r in rows if r.form != KEYWORDS] if opts.before else rows, features[mode])
        print(f"\n{mode} model fitted on everything: {json.dumps(fitted[mode].to_dict())}")
    if opts.write:
        model = RelevanceModel(models=fitted)
        payload = {**model.to_dict(), "fitted": {
            "on": ", ".join(sites), "date": date.today().isoformat(), "by": "bench/eval_relevance.py",
            "fusion": f"{config.method} alpha={config.alpha}", "top": TOP,
            "held_out": {mode: {k: v for k, v in figures.items() if k.startswith(("ece", "out_of_domain_flagged_all"))}
                         for mode, figures in summary.items()}}}
        MODEL_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {MODEL_FILE.relative_to(REPO)}")
    hybrid = summary["hybrid"]

    def finite(value):
        return None if isinstance(value, float) and value != value else value

    print(json.dumps({k: finite(v) for k, v in {"floor": opts.floor, "ece_stackfaq": hybrid["ece_stackfaq"],
                      "ece_balanced": hybrid["ece_balanced"],
                      "out_of_domain_flagged": hybrid["out_of_domain_flagged_all"],
                      "out_of_domain_flagged_keywords": hybrid["out_of_domain_flagged_all_keywords"],
                      "kept_query": {k: v["kept_query"] for k, v in hybrid["in_domain"].items() if v["queries"]},
                      "kept_result": {k: v["kept_result"] for k, v in hybrid["in_domain"].items() if v["queries"]},
                      }.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
