"""Solution and other-solution precision of the product's drafter against an editor's labels.

Usage: python bench/eval_drafts.py [DATA_DIR]

``fixtures/trust/draft_judgements.json`` holds an editor's judgement of 30
drafts of the shared Stack Exchange dumps (lead, members, whether each placed
answer answers the lead question, whether the draft is publishable). Each
judged cluster (its lead and members) is drafted again here with the
product's own code (``bench/draft.py`` → ``kb.engine.draft.draft_cluster``,
the shipped rule and model, the dump's duplicate links) and every answer it
places now is looked up in the labels: precision = right / judged; an answer
the editor never saw is counted as unjudged, not as right. Also: member
purity and how many drafts say "no confident solution". Prints a table, then
one JSON line. The duplicate-link proxy is ``bench/fit_answers.py``.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import draft as bench_draft  # noqa: E402
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "draft_judgements.json"


def clusters_of(data: Path, judged: list[dict]) -> list[dict]:
    """The judged clusters in CLUSTERS.json shape, threads read from the dumps (with their duplicate links)."""
    sites = {}
    out = []
    for n, j in enumerate(judged):
        if j["site"] not in sites:
            sites[j["site"]] = td.load_site(data / f"stackexchange-{j['site']}").by_id()
        by_id = sites[j["site"]]
        threads = []
        for tid in [j["lead"], *(m["thread"] for m in j["members"])]:
            t = by_id[tid]
            threads.append({"id": t["id"], "title": t["title"], "question": t["question"], "tags": t["tags"],
                            "score": t["score"], "created": t["created"], "answers": t["answers"],
                            **({"duplicate_of": t["closed_as_duplicate_of"]} if t.get("closed_as_duplicate_of")
                               else {})})
        out.append({"id": n, "lead": j["lead"], "threads": threads})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    judged = json.loads(LABELS.read_text(encoding="utf-8"))["drafts"]
    clusters = bench_draft.parse(clusters_of(data, judged))
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (cluster, draft), j in zip(bench_draft.draft_all(clusters), judged):
        labels = {}
        if j["solution"] and j["solution"]["answer"] is not None:
            labels[j["solution"]["answer"]] = j["solution"]["answers_lead"]
        labels.update({o["answer"]: o["answers_lead"] for o in j["others"]})
        p = draft.placement
        for key in (j["site"], "all"):
            t = totals[key]
            t["drafts"] += 1
            t["members"] += len(j["members"])
            t["members_same_problem"] += sum(m["same_problem"] for m in j["members"])
            t["publishable"] += bool(j["publishable"])
            if p.solution is None:
                t["no_solution"] += 1
            else:
                judged_right = labels.get(p.solution.id)
                t["solutions"] += 1
                t["solution_judged"] += judged_right is not None
                t["solution_right"] += bool(judged_right)
            for o in p.others:
                judged_right = labels.get(o.id)
                t["others"] += 1
                t["others_judged"] += judged_right is not None
                t["others_right"] += bool(judged_right)
    print(f"{'site':<9}{'drafts':>7}{'members same':>14}{'no solution':>12}{'solution P':>13}{'others P':>12}"
          f"{'publishable':>13}")
    result = {}
    for site, t in totals.items():
        share = lambda right, judged: round(t[right] / t[judged], 3) if t[judged] else None  # noqa: E731
        result[site] = {**t, "solution_precision": share("solution_right", "solution_judged"),
                        "others_precision": share("others_right", "others_judged")}
        print(f"{site:<9}{t['drafts']:>7}{t['members_same_problem']:>8}/{t['members']:<5}{t['no_solution']:>12}"
              f"{t['solution_right']:>8}/{t['solution_judged']:<4}{t['others_right']:>7}/{t['others_judged']:<4}"
              f"{t['publishable']:>9}/{t['drafts']}")
    unjudged = result["all"]["solutions"] - result["all"]["solution_judged"] + \
        result["all"]["others"] - result["all"]["others_judged"]
    print(f"\nanswers placed now that the editor did not judge: {unjudged}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
