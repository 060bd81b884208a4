"""Purity of problem clusters against gold, next to topic clusters and TF-IDF at equal coverage.

Usage: python bench/eval_problems.py [DATA_DIR] [--sites beer cardano stackfaq]

Gold:
- StackFAQ: each thread's original title and its 10 human paraphrases form one
  gold problem (125 groups; every item is evaluated);
- Stack Exchange: duplicate links (LinkTypeId 3) join gold problems; items are
  every question with a duplicate or related link, so a related pair (same
  topic, another problem) clustered together costs precision.

Rows: ``problem`` is ``kb.engine.problems`` from text alone; ``problem+editor`` (StackFAQ, whose gold is
complete) is that after an editor reviewed each cluster's "Maybe the same problem" list once, adding what is
the lead's problem (``editor_review``; how many suggestions were shown and right is printed); ``problem+links``
also follows the dump's duplicate links (what the product does with harvested
links; its duplicate figures are then the links themselves, not a test);
``topic`` is the topic level (``kb.engine.clustering`` defaults); ``tfidf`` is the
keyword baseline tuned to the problem level's coverage. Prints a table per
dataset, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402


def evaluate(ids, texts, vectors, questions, gold_groups, items, dups, related) -> dict[str, dict]:
    from kb.engine.clustering.baseline import tune_to_coverage
    from kb.engine.clustering.communities import cluster
    from kb.engine.clustering.metrics import bcubed, coverage, pairs_together
    from kb.engine.problems import problem_clusters

    n = len(ids)

    def score(groups):
        p, r, f = bcubed(groups, gold_groups, items=items)
        return {"coverage": coverage(groups, n), "clusters": len(groups), "P": p, "R": r, "F1": f,
                "dup": pairs_together(groups, dups) if dups else None,
                "rel": pairs_together(groups, related) if related else None}

    rows = {}
    problems = [c.ids for c in problem_clusters(questions[0])]
    rows["problem"] = score(problems)
    if questions[1] is not None:
        rows["problem+links"] = score([c.ids for c in problem_clusters(questions[1])])
    rows["topic"] = score([[ids[i] for i in g] for g in cluster(vectors)])
    tuned = tune_to_coverage(texts, rows["problem"]["coverage"])
    rows["tfidf"] = score([[ids[i] for i in g] for g in tuned.clusters])
    rows["tfidf"]["threshold"] = tuned.threshold
    return rows


def editor_review(questions, gold_groups, *, min_similarity: float = 0.75) -> tuple[list[list], int, int]:
    """The problem clusters after an editor reviews each one's "Maybe the same problem" list once.

    The editor adds every suggestion that is the lead's gold problem and turns the rest down, as the
    cluster page offers (``kb.engine.problems.suggest`` with ``JoinRule.loose``, up to 5 per cluster; other
    clusters' leads are never suggested). Returns (clusters, suggestions shown, suggestions right).
    """
    from kb.engine.problems import JoinRule, problem_clusters, suggest

    gold = {x: g for g, members in enumerate(gold_groups) for x in members}
    rule = JoinRule.fitted().loose(min_similarity)
    groups = [list(c.ids) for c in problem_clusters(questions)]
    where = {x: gi for gi, g in enumerate(groups) for x in g}
    leads = {g[0] for g in groups}
    by_id = {q.id: q for q in questions}
    shown = right = 0
    for gi, group in enumerate(groups):
        lead = by_id[group[0]]
        pool = [q for q in questions if where.get(q.id) != gi and q.id not in leads]
        for s in suggest(lead, pool, rule):
            shown += 1
            if gold.get(s.id) == gold.get(lead.id):
                right += 1
                if s.id in where:
                    groups[where[s.id]].remove(s.id)
                group.append(s.id)
                where[s.id] = gi
    return [g for g in groups if len(g) >= 2], shown, right


def stack_exchange(data: Path, folder: str) -> dict[str, dict]:
    from kb.engine.clustering.metrics import gold_groups_from_pairs
    from kb.engine.problems import question_text

    site = td.load_site(data / folder)
    ids = [t["id"] for t in site.threads]
    texts = [question_text(t["title"], t["question"]) for t in site.threads]
    vectors = td.question_vectors(site.threads)
    plain = td.problem_questions(site.threads, vectors=vectors)
    linked = td.problem_questions(site.threads, vectors=vectors, links=True)
    items = {x for pair in site.duplicates + site.related for x in pair}
    gold = gold_groups_from_pairs(site.duplicates)
    return evaluate(ids, texts, vectors, (plain, linked), gold, items, site.duplicates, site.related)


def stackfaq(data: Path) -> dict[str, dict]:
    from kb.engine.answers import answer_text
    from kb.engine.problems import Question, question_text

    faq = td.load_stackfaq(data / "stackfaq")
    ids, texts, titles, gold, questions = [], [], [], [], []
    answer_vectors = td.embed([answer_text(a[0]) for a in faq.answers])
    for g, (title, group) in enumerate(zip(faq.titles, faq.paraphrases)):
        members = [(f"t{g}", title, answer_vectors[g])] + [(f"t{g}p{k}", p, None) for k, p in enumerate(group)]
        gold.append({m[0] for m in members})
        for item_id, text, answer in members:
            ids.append(item_id)
            texts.append(question_text(text, ""))
            titles.append(text)
            questions.append((item_id, answer))
    vectors = td.embed(texts)
    plain = [Question(item_id, vectors[i], answer, accepted=answer is not None, title=titles[i])
             for i, (item_id, answer) in enumerate(questions)]
    rows = evaluate(ids, texts, vectors, (plain, None), gold, set(ids), [], [])
    from kb.engine.clustering.metrics import bcubed, coverage

    reviewed, shown, right = editor_review(plain, gold)
    p, r, f = bcubed(reviewed, gold, items=set(ids))
    rows["problem+editor"] = {"coverage": coverage(reviewed, len(ids)), "clusters": len(reviewed), "P": p, "R": r,
                              "F1": f, "dup": None, "rel": None, "suggested": shown, "suggested_right": right}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    parser.add_argument("--sites", nargs="+", default=["stackfaq", "beer", "cardano"])
    args = parser.parse_args()
    data = td.data_dir(args.data)
    from kb.engine.problems import JoinRule

    print(f"problem rule: {JoinRule.fitted().explain()}\n")
    results = {}
    for name in args.sites:
        results[name] = stackfaq(data) if name == "stackfaq" else stack_exchange(data, f"stackexchange-{name}")
        print(f"{name}:")
        print(f"  {'':<15}{'coverage':>9}{'clusters':>9}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'dups':>7}{'related':>8}")
        for row, v in results[name].items():
            dup = "" if v["dup"] is None else f"{v['dup']:.2f}"
            rel = "" if v["rel"] is None else f"{v['rel']:.2f}"
            print(f"  {row:<15}{v['coverage']:>9.3f}{v['clusters']:>9d}{v['P']:>7.3f}{v['R']:>7.3f}{v['F1']:>7.3f}"
                  f"{dup:>7}{rel:>8}")
            if "suggested" in v:
                print(f"  {'':<15}suggestions shown {v['suggested']}, the lead's problem {v['suggested_right']}")
        print()
    print(json.dumps({name: {row: {k: (round(x, 4) if isinstance(x, float) else x) for k, x in v.items()}
                             for row, v in rows.items()} for name, rows in results.items()}))


if __name__ == "__main__":
    main()
