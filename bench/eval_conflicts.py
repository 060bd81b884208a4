"""Precision and recall of the conflict detector (``kb.engine.conflicts``) against hand labels.

Usage: python bench/eval_conflicts.py [DATA_DIR]

Runs ``find_conflicts`` (with the thread's title as the question) over every
pair of answers in the same thread, both scored ≥ 0, of the beer, cardano and
genai dumps, and scores it against ``fixtures/trust/conflict_pairs.json``:
precision over every flagged pair (a flagged pair nobody judged is listed, so
the labels can be extended), recall over the labelled pairs that do conflict.
A flagged pair counts as right when it was judged a contradiction or outdated;
the per-kind rows need the kinds to match too. The labelled positives come
partly from enriched samples, so recall on a random pair of a random forum is
lower than the pooled figure; the random sample's own recall is printed too.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "conflict_pairs.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    from kb.engine.conflicts import AnswerText, find_conflicts

    labels = {(p["site"], frozenset((p["a"], p["b"]))): p for p in json.loads(LABELS.read_text())["pairs"]}
    flagged: dict[tuple, list] = {}
    pairs = 0
    for folder in td.SITES:
        site = td.load_site(data / folder)
        short = folder.split("-", 1)[1]
        for t in site.threads:
            answers = [AnswerText(a["id"], a["text"], datetime.fromisoformat(a["created"]) if a["created"] else None,
                                  int(a["score"] or 0), bool(a["accepted"]))
                       for a in t["answers"] if int(a["score"] or 0) >= 0]
            for a, b in itertools.combinations(answers, 2):
                pairs += 1
                notes = find_conflicts(a, b, question=t["title"])
                if notes:
                    flagged[(short, frozenset((a.id, b.id)))] = notes
    print(f"{pairs} same-thread answer pairs, {len(flagged)} flagged, {len(labels)} labelled\n")
    unjudged = [k for k in flagged if k not in labels]
    results = {}
    for kind in ("any", "contradiction", "outdated"):
        def hit(key):
            return kind == "any" or any(n.kind == kind for n in flagged[key])

        def true(label):
            return label["label"] != "none" if kind == "any" else label["label"] == kind

        judged = [k for k in flagged if k in labels and hit(k)]
        right = [k for k in judged if true(labels[k])]
        positives = [k for k, lab in labels.items() if true(lab)]
        found = [k for k in positives if k in flagged and hit(k)]
        random_pos = [k for k in positives if labels[k]["sample"] == "random"]
        random_found = [k for k in random_pos if k in flagged and hit(k)]
        results[kind] = {"flagged": len(judged), "right": len(right),
                         "precision": round(len(right) / len(judged), 3) if judged else None,
                         "positives": len(positives), "found": len(found),
                         "recall": round(len(found) / len(positives), 3) if positives else None,
                         "random_positives": len(random_pos), "random_found": len(random_found)}
        r = results[kind]
        print(f"{kind:<14} precision {r['right']}/{r['flagged']} = {r['precision']}   "
              f"recall {r['found']}/{r['positives']} = {r['recall']}   "
              f"(random sample: {r['random_found']}/{r['random_positives']})")
    for key in unjudged:
        site, ids = key
        print(f"unjudged: {site} answers {sorted(ids)}: {[n.reason for n in flagged[key]]}")
    print("\nflagged pairs and their notes:")
    for (site, ids), notes in sorted(flagged.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]))):
        label = labels.get((site, ids), {}).get("label", "unjudged")
        for n in notes:
            print(f"  {site} {sorted(ids)} [{label}] {n.kind}: {n.reason}")
    print(json.dumps({"pairs": pairs, "flagged": len(flagged), "unjudged": len(unjudged), **results}))


if __name__ == "__main__":
    main()
