"""Does a small model over readable features join same-problem pairs better than stricter join rules?

Usage: python bench/fit_same_problem.py [DATA_DIR] [--floor 0.75]

Labelled lead → question pairs of the shared data (the rows of ``bench/fit_problems.py``):
StackFAQ paraphrases under their own thread (same) and under the most similar other
thread (not); Stack Exchange duplicate links (same) and related links (not: a topic
pair); hand-labelled nearest neighbours of beer, cardano and genai
(``fixtures/trust/same_problem_pairs.json``). Each pair gets the readable features of
``bench/same_problem_features.py`` (title IDF over the titles of its own site).

A logistic model over those features is evaluated leave-one-source-out: fitted on
the other sources (each source and each label weighing the same), scored on the one
left out. Its probability threshold is the lowest at which the held-out sources'
mean precision (sources with joins) is at least ``TARGET`` (0.9). Every decision keeps
the product's hard tests: a duplicate link always joins, titles that contrast never
join, and nothing below the candidate floor (``--floor``, the previous rule's 0.75) is
considered; duplicate links are left out of the table (they always join). The same
table is printed for the shipped rule, the previous one and stricter thresholds of
it, so the better one can be kept (``bench/fit_problems.py`` writes the rule). Then
each feature's AUC on the hard pairs alone (hand labels and related links at 0.70
or more), where the decision is made.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))
import fit_problems as fp  # noqa: E402
import trust_data as td  # noqa: E402

TARGET = 0.9
THRESHOLDS = np.round(np.arange(0.30, 0.96, 0.025), 3)


@dataclass
class Pair:
    source: str
    origin: str  # hand / duplicate / related / paraphrase / other
    label: int
    similarity: float
    fit: float | None
    own: float | None
    contrast: bool
    features: object  # same_problem_features.PairFeatures


def stack_exchange(data: Path) -> list[Pair]:
    from kb.engine.problems import Question, answer_fit, contrast, question_text
    from same_problem_features import TitleWords, pair_features

    hand = json.loads(fp.LABELS.read_text())["pairs"]
    out = []
    for folder in td.SITES:
        site = td.load_site(data / folder)
        short = folder.split("-", 1)[1]
        pos = {t["id"]: i for i, t in enumerate(site.threads)}
        vectors = td.question_vectors(site.threads)
        titles = td.embed([t["title"] for t in site.threads])
        words = TitleWords(t["title"] for t in site.threads)
        labelled = [(b, a, 1, "duplicate") for a, b in site.duplicates]
        labelled += [(*fp._ids(fp._lead_first(site.threads[pos[a]], site.threads[pos[b]])), 0, "related")
                     for a, b in site.related]
        labelled += [(*fp._ids(fp._lead_first(site.threads[pos[p["a"]]], site.threads[pos[p["b"]]])),
                      int(p["same"]), "hand") for p in hand if p["site"] == short]
        answers = td.best_answer_vectors(site.threads, {pos[x] for lead, q, *_ in labelled for x in (lead, q)})
        for lead_id, q_id, label, origin in labelled:
            i, j = pos[lead_id], pos[q_id]
            a, b = site.threads[i], site.threads[j]
            lead = Question(lead_id, vectors[i], answers.get(i))
            member = Question(q_id, vectors[j], answers.get(j))
            sim, fit, own = float(vectors[i] @ vectors[j]), answer_fit(lead, vectors[j]), answer_fit(member, vectors[i])
            f = pair_features(similarity=sim, title_similarity=float(titles[i] @ titles[j]), answer_fit=fit,
                              own_fit=own, lead_title=a["title"],
                              lead_text=question_text(a["title"], a["question"]), title=b["title"],
                              text=question_text(b["title"], b["question"]), words=words)
            out.append(Pair(short, origin, label, sim, fit, own, contrast(a["title"], b["title"]) is not None, f))
    return out


def stackfaq(data: Path) -> list[Pair]:
    from kb.engine.problems import contrast
    from same_problem_features import TitleWords, pair_features

    faq = td.load_stackfaq(data / "stackfaq")
    words = TitleWords([*faq.titles, *(p for g in faq.paraphrases for p in g)])
    out = []
    for lead_row, label, text, sim, fit in fp.stackfaq_candidates(faq):
        f = pair_features(similarity=sim, title_similarity=sim, answer_fit=fit, own_fit=None,
                          lead_title=faq.titles[lead_row],
                          lead_text=faq.titles[lead_row], title=text, text=text, words=words)
        out.append(Pair("stackfaq", "paraphrase" if label else "other", label, sim, fit, None,
                        contrast(faq.titles[lead_row], text) is not None, f))
    return out


def matrix(pairs: list[Pair]) -> np.ndarray:
    return np.array([p.features.vector() for p in pairs], dtype=float)


def fit(pairs: list[Pair]):
    """Logistic regression, each source and, within it, each label weighing the same."""
    from sklearn.linear_model import LogisticRegression

    x, y = matrix(pairs), np.array([p.label for p in pairs])
    w = np.zeros(len(pairs))
    sources = sorted({p.source for p in pairs})
    for s in sources:
        for label in (0, 1):
            idx = [i for i, p in enumerate(pairs) if p.source == s and p.label == label]
            if idx:
                w[idx] = 1.0 / (len(idx) * len(sources) * 2)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(x, y, sample_weight=w * len(pairs))
    return model


def model_joins(pairs: list[Pair], probs: np.ndarray, threshold: float, floor: float) -> list[bool]:
    return [(p.origin == "duplicate") or (not p.contrast and p.similarity >= floor and pr >= threshold)
            for p, pr in zip(pairs, probs)]


def rule_joins(pairs: list[Pair], a: float, b: float, c: float, both: bool = False) -> list[bool]:
    out = []
    for p in pairs:
        if p.origin == "duplicate":
            out.append(True)
            continue
        ok = fp.joins(p.similarity, p.fit, p.contrast, p.own, a, b, c)
        if ok and both and p.similarity < c and p.fit is not None and p.own is not None:
            ok = p.own >= b
        out.append(ok)
    return out


def per_source(pairs: list[Pair], joined: list[bool], *, hard_only: bool = False) -> dict[str, tuple]:
    """Per source: (precision, recall, joined, right). ``hard_only``: duplicate links left out (they always join)."""
    out = {}
    for s in sorted({p.source for p in pairs}):
        sel = [(p.label, j) for p, j in zip(pairs, joined) if p.source == s and not (hard_only and
                                                                                   p.origin == "duplicate")]
        n = sum(j for _, j in sel)
        right = sum(1 for label, j in sel if j and label)
        pos = sum(label for label, _ in sel)
        out[s] = (right / n if n else float("nan"), right / pos if pos else float("nan"), n, right)
    return out


def mean_precision(table: dict[str, tuple]) -> float:
    vals = [v[0] for v in table.values() if v[2]]
    return float(np.mean(vals)) if vals else 1.0


def mean_recall(table: dict[str, tuple]) -> float:
    return float(np.nanmean([v[1] for v in table.values()]))


def row(name: str, table: dict[str, tuple]) -> str:
    cells = "  ".join(f"{s} {v[3]}/{v[2]} P{v[0]:.2f} R{v[1]:.2f}" for s, v in table.items())
    return f"{name:<34} mean P {mean_precision(table):.3f} R {mean_recall(table):.3f} | {cells}"


def held_out_probabilities(pairs: list[Pair]) -> np.ndarray:
    probs = np.zeros(len(pairs))
    for s in sorted({p.source for p in pairs}):
        train = [p for p in pairs if p.source != s]
        idx = [i for i, p in enumerate(pairs) if p.source == s]
        model = fit(train)
        probs[idx] = model.predict_proba(matrix([pairs[i] for i in idx]))[:, 1]
    return probs


def main() -> None:
    from sklearn.metrics import roc_auc_score

    from kb.engine.problems import JoinRule
    from same_problem_features import FEATURES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None)
    parser.add_argument("--floor", type=float, default=0.75, help="candidate similarity floor for the model")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    rule = JoinRule.fitted()
    floor = args.floor
    pairs = stack_exchange(data) + stackfaq(data)
    counts = {s: (sum(p.source == s for p in pairs), sum(p.label for p in pairs if p.source == s))
              for s in sorted({p.source for p in pairs})}
    print("pairs: " + ", ".join(f"{s} {n} ({same} same)" for s, (n, same) in counts.items()))
    probs = held_out_probabilities(pairs)
    print(f"\nleave-one-source-out (model fitted without the source it is scored on), candidate floor {floor:.2f};"
          f" right/joined, precision, recall per source:")
    best_t = None
    for t in THRESHOLDS:
        table = per_source(pairs, model_joins(pairs, probs, t, floor), hard_only=True)
        if best_t is None and mean_precision(table) >= TARGET:
            best_t = float(t)
        if t in (0.5, 0.6, 0.7, 0.8, 0.9) or t == best_t:
            print(row(f"model p ≥ {t:.3f}", table))
    print(f"\nthreshold for held-out mean precision ≥ {TARGET}: "
          + (f"{best_t:.3f}" if best_t is not None else f"none up to {THRESHOLDS[-1]:.3f}"))
    print("\nrules (no fitting, so every source is held out):")
    rules = [("shipped rule", (rule.min_similarity, rule.min_answer_fit, rule.sure_similarity, rule.both_ways)),
             ("previous rule (0.75, -0.05, 0.90)", (0.75, -0.05, 0.9, False))]
    for a in (0.8, 0.85):
        for b in (-0.05, 0.0):
            for both in (False, True):
                rules.append((f"sim ≥ {a:.2f}, fit ≥ {b:+.2f}{', both ways' if both else ''}", (a, b, 0.9, both)))
    rules.append(("sim ≥ 0.90 alone", (0.9, -9, 0.9, False)))
    rules.append(("sim ≥ 0.95 alone", (0.95, -9, 0.95, False)))
    for name, (a, b, c, both) in rules:
        print(row(name, per_source(pairs, rule_joins(pairs, a, b, c, both), hard_only=True)))
    if best_t is not None:
        print(row(f"model p ≥ {best_t:.3f} (held out)",
                  per_source(pairs, model_joins(pairs, probs, best_t, floor), hard_only=True)))
    model = fit(pairs)
    coef = dict(zip(FEATURES, map(float, model.coef_[0])))
    print("\nmodel on every source: " + ", ".join(f"{k} {v:+.2f}" for k, v in coef.items())
          + f", intercept {float(model.intercept_[0]):+.2f}")
    hard = [p for p in pairs if p.source != "stackfaq" and p.origin != "duplicate" and p.similarity >= 0.70]
    y = [p.label for p in hard]
    print(f"\nAUC of each feature on the hard Stack Exchange pairs ({len(hard)} at ≥ 0.70, {sum(y)} same), "
          f"and of the held-out model:")
    for k, name in enumerate(FEATURES):
        print(f"  {name:<16} {roc_auc_score(y, [p.features.vector()[k] for p in hard]):.3f}")
    index = {id(p): i for i, p in enumerate(pairs)}
    print(f"  {'model':<16} {roc_auc_score(y, [probs[index[id(p)]] for p in hard]):.3f}")


if __name__ == "__main__":
    main()
