"""Fit the answer model (``kb/engine/fitted/answers.json``) on the shared Stack Exchange dumps.

Usage: python bench/fit_answers.py [DATA_DIR] [--write]

The model (``kb.engine.answers.AnswerModel``) estimates whether an answer of
another thread than the lead's answers the lead question, from the features in
``kb.engine.answers.FEATURES`` (answers of the lead's own thread are placed by
rule). Labelled (lead question, answer) rows, all
from ``../shared/data``; an answer is "good" when accepted or scored ≥ 1:
- the good answers of the original answer the question closed as its
  duplicate (1, relation "duplicate");
- the good answers of a thread hand-labelled as the same problem answer the
  other (1), of one labelled another problem do not (0)
  (``fixtures/trust/same_problem_pairs.json``);
- the good answers of a related-linked thread (same topic, another problem)
  do not (0), nor the accepted answer of a random thread (0).
Cross-thread rows are scored as if the other thread had joined the lead's
cluster ("same problem"), which is the mistake the model must catch.

Held out: a model fitted without one site is scored on it (AUC on cross-thread
rows, and precision of what ``place_answers`` places with the shipped
thresholds on the duplicate-link proxy: a draft led by a closed duplicate,
holding its original and every related-linked thread; answers placed from the
original or the lead are right, from a related thread wrong). ``--write``
saves the model fitted on every site.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "same_problem_pairs.json"
THRESHOLDS = {"min_probability": 0.5, "max_others": 4}


def good(answer: dict) -> bool:
    return bool(answer["accepted"]) or int(answer["score"] or 0) >= 1


class SiteData:
    """One dump with its question and answer vectors, ready to make candidates and relations."""

    def __init__(self, data: Path, folder: str):
        from kb.engine.answers import answer_text

        self.name = folder.split("-", 1)[1]
        self.site = td.load_site(data / folder)
        self.threads = self.site.threads
        self.pos = {t["id"]: i for i, t in enumerate(self.threads)}
        self.q = td.question_vectors(self.threads)
        answers = [(i, a) for i, t in enumerate(self.threads) for a in t["answers"]]
        vecs = td.embed([answer_text(a["text"]) for _, a in answers])
        self.answer_vectors = {a["id"]: v for (_, a), v in zip(answers, vecs)}

    def candidates(self, thread_id: str, *, only_good: bool = False):
        from kb.engine.answers import Candidate

        t = self.threads[self.pos[thread_id]]
        return [Candidate(a["id"], thread_id, a["text"], self.answer_vectors[a["id"]], int(a["score"] or 0),
                          bool(a["accepted"])) for a in t["answers"] if not only_good or good(a)]

    def relation(self, lead_id: str, thread_id: str, kind: str):
        from kb.engine.answers import ThreadRelation

        i, j = self.pos[lead_id], self.pos[thread_id]
        return ThreadRelation(kind, 1.0 if i == j else float(self.q[i] @ self.q[j]), self.q[j])


def rows_for(sd: SiteData, hand: list[dict], rng: random.Random) -> list[tuple[str, int, dict]]:
    """(task, label, features) rows of one site."""
    from kb.engine.answers import answer_features

    rows = []

    def add(task, label, lead_id, thread_id, kind, only_good=True):
        rel = sd.relation(lead_id, thread_id, kind)
        lead = sd.q[sd.pos[lead_id]]
        for c in sd.candidates(thread_id, only_good=only_good):
            rows.append((task, label, answer_features(c, lead_vector=lead, relation=rel)))

    for dup, original in sd.site.duplicates:
        add("duplicate", 1, dup, original, "duplicate")
    for a, b in sd.site.related:
        add("related", 0, a, b, "same problem")
        add("related", 0, b, a, "same problem")
    for p in hand:
        if p["site"] == sd.name:
            add("hand", int(p["same"]), p["a"], p["b"], "same problem")
            add("hand", int(p["same"]), p["b"], p["a"], "same problem")
    ids = [t["id"] for t in sd.threads if any(x["accepted"] for x in t["answers"])]
    for _ in range(200):
        a, b = rng.sample(ids, 2)
        rel = sd.relation(a, b, "same problem")
        for c in sd.candidates(b):
            if c.accepted:
                rows.append(("random", 0, answer_features(c, lead_vector=sd.q[sd.pos[a]], relation=rel)))
    return rows


def fit(rows) -> dict:
    from sklearn.linear_model import LogisticRegression

    from kb.engine.answers import FEATURES

    x = np.array([[r[2][f] for f in FEATURES] for r in rows])
    y = np.array([r[1] for r in rows])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    return {"features": list(FEATURES), "coef": dict(zip(FEATURES, map(float, model.coef_[0]))),
            "intercept": float(model.intercept_[0]), **THRESHOLDS}


def model_of(params: dict):
    from kb.engine.answers import AnswerModel

    return AnswerModel(coef=params["coef"], intercept=params["intercept"], min_probability=params["min_probability"],
                       max_others=params["max_others"])


def cross_auc(model, rows) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([r[1] for r in rows], [model.probability(r[2]) for r in rows]))


def proxy(model, sd: SiteData, *, original: str = "duplicate") -> dict:
    """Placement precision on drafts led by each closed duplicate (see the module docstring);
    ``original="same problem"`` treats the original as a text join instead of a linked duplicate."""
    from kb.engine.answers import place_answers, score_answers

    related: dict[str, set[str]] = {}
    for a, b in sd.site.related:
        related.setdefault(a, set()).add(b)
        related.setdefault(b, set()).add(a)
    counts = {"drafts": 0, "confident": 0, "solution_right": 0, "others_right": 0, "others": 0}
    for dup, original_id in sd.site.duplicates:
        relations = {dup: sd.relation(dup, dup, "own"), original_id: sd.relation(dup, original_id, original)}
        for other in (related.get(dup, set()) | related.get(original_id, set())) - {dup, original_id}:
            relations[other] = sd.relation(dup, other, "same problem")
        candidates = [c for tid in relations for c in sd.candidates(tid)]
        placed = place_answers(score_answers(candidates, lead_vector=sd.q[sd.pos[dup]], relations=relations,
                                             model=model), model=model)
        counts["drafts"] += 1
        if placed.solution:
            counts["confident"] += 1  # here: a solution placed at all
            counts["solution_right"] += placed.solution.thread_id in (dup, original_id)
        counts["others"] += len(placed.others)
        counts["others_right"] += sum(o.thread_id in (dup, original_id) for o in placed.others)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    parser.add_argument("--write", action="store_true", help="save the model to kb/engine/fitted/answers.json")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    hand = json.loads(LABELS.read_text())["pairs"]
    rng = random.Random(16)
    sites = [SiteData(data, folder) for folder in td.SITES]
    rows = {sd.name: rows_for(sd, hand, rng) for sd in sites}
    for name, rs in rows.items():
        tasks = sorted({r[0] for r in rs})
        print(f"{name}: " + ", ".join(f"{t} {sum(1 for r in rs if r[0] == t)} ({sum(r[1] for r in rs if r[0] == t)} "
                                      f"answer)" for t in tasks))
    held = {}
    print("\nheld out (fitted without the site):")
    for sd in sites:
        params = fit([r for name, rs in rows.items() if name != sd.name for r in rs])
        model = model_of(params)
        auc = cross_auc(model, rows[sd.name])
        c, t = proxy(model, sd), proxy(model, sd, original="same problem")
        held[sd.name] = {"cross_thread_auc": round(auc, 3), "linked": c, "text_join": t}
        if c["drafts"]:
            print(f"  {sd.name:<8} AUC {auc:.3f}; duplicate-link proxy, {c['drafts']} drafts:")
            for label, x in (("original linked", c), ("original joined by text", t)):
                print(f"    {label:<24} solution placed {x['confident']}, right {x['solution_right']}; "
                      f"others placed {x['others']}, right {x['others_right']}")
        else:
            print(f"  {sd.name:<8} cross-thread AUC {auc:.3f}; no duplicate links")
    params = fit([r for rs in rows.values() for r in rs])
    print("\nfitted on every site: intercept {:+.3f}; ".format(params["intercept"]) +
          ", ".join(f"{k} {v:+.3f}" for k, v in params["coef"].items()))
    if args.write:
        from kb.engine.answers import FITTED

        FITTED.write_text(json.dumps(params, indent=1) + "\n")
        print(f"wrote {FITTED.relative_to(td.REPO)}")
    print(json.dumps({"model": params, "held_out": held}))


if __name__ == "__main__":
    main()
