"""Draw nearest-neighbour question pairs of the shared Stack Exchange dumps for an editor to label.

Usage: python bench/label_pairs.py [DATA_DIR] [--sites beer cardano genai] [--min 0.70] [--per-site N]
       [--seed S] [--chars 500]

Every question's nearest neighbours (title + question, the shipped model) at
``--min`` similarity or more, each pair once, leaving out pairs the dump links
(duplicate or related) and pairs already in ``fixtures/trust/same_problem_pairs.json``.
Pairs the shipped join rule accepts come first, then the rest at random; each
is printed with both questions and their best answers so the editor judges
"one article's solution answers both as asked". Nothing is written: the
editor records the judgement (ids only) in the fixture.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "same_problem_pairs.json"


def draw(data: Path, site_name: str, *, min_similarity: float, per_site: int, seed: int):
    from kb.engine.problems import candidate_pairs, judge

    site = td.load_site(data / f"stackexchange-{site_name}")
    vectors = td.question_vectors(site.threads)
    questions = td.problem_questions(site.threads, vectors=vectors)
    done = {frozenset((p["a"], p["b"])) for p in json.loads(LABELS.read_text())["pairs"] if p["site"] == site_name}
    linked = {frozenset(p) for p in site.duplicates + site.related}
    pairs = []
    for i, j, s in candidate_pairs(vectors, min_similarity=min_similarity, k=5):
        key = frozenset((site.threads[i]["id"], site.threads[j]["id"]))
        if key in done or key in linked:
            continue
        joined = judge(questions[i], questions[j], _rule()) or judge(questions[j], questions[i], _rule())
        pairs.append((joined is not None, s, i, j))
    rng = random.Random(seed)
    rng.shuffle(pairs)
    pairs.sort(key=lambda p: not p[0])
    return site, pairs[:per_site]


_RULE = None


def _rule():
    global _RULE
    if _RULE is None:
        from kb.engine.problems import JoinRule

        _RULE = JoinRule.fitted()
    return _RULE


def main() -> None:
    from kb.engine.answers import best_answer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None)
    parser.add_argument("--sites", nargs="+", default=["beer", "cardano", "genai"])
    parser.add_argument("--min", type=float, default=0.70)
    parser.add_argument("--per-site", type=int, default=60)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--chars", type=int, default=500)
    args = parser.parse_args()
    data = td.data_dir(args.data)

    def clip(text: str) -> str:
        flat = " ".join(text.split())
        return flat if len(flat) <= args.chars else flat[:args.chars] + "…"

    for name in args.sites:
        site, pairs = draw(data, name, min_similarity=args.min, per_site=args.per_site, seed=args.seed)
        print(f"##### {name}: {len(pairs)} pairs")
        for joined, s, i, j in pairs:
            print(f"\n=== {name} {site.threads[i]['id']} {site.threads[j]['id']}  sim {s:.3f}  "
                  f"{'JOINS' if joined else 'apart'}")
            for t in (site.threads[i], site.threads[j]):
                best = best_answer(t["answers"])
                print(f"  [{t['id']}] {t['title']}\n     Q: {clip(t['question'])}")
                print(f"     A: {clip(best['text']) if best else '(no answer)'}")


if __name__ == "__main__":
    main()
