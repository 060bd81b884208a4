"""Fit the problem-cluster join rule (``kb/engine/fitted/problems.json``) on the shared data.

Usage: python bench/fit_problems.py [DATA_DIR] [--write]

The rule (``kb.engine.problems.JoinRule``, applied here by ``joins``) has three numbers: the least
similarity to the lead question, the least "answer fit" (how much less the
lead's best answer matches the question than the lead itself), and the
similarity from which a question is a paraphrase and the answer test is
skipped. Two titles that contrast ("minimum" against "maximum", different
numbers) never join, and while the lead has no answer the question's own best
answer must fit the lead instead. That last one is the lowest similarity from which the labelled pairs
are at least 95 % the same problem (mean of the sources' precisions). Labelled
lead → question pairs, each with the product's own features:
- StackFAQ: each human paraphrase under its own thread (same problem) and
  under the most similar other thread (not);
- Stack Exchange duplicate links, lead = the original (same problem);
- Stack Exchange related links (not the same problem: a topic pair);
- hand-labelled nearest-neighbour pairs of beer, cardano and genai
  (``fixtures/trust/same_problem_pairs.json``).
First the similarity and answer fit, with the answer test always on: for
every grid point each source gets precision and recall, and the rule kept
maximises F-beta with beta 0.25 (precision weighs 16 times recall) of the
sources' mean precision and mean recall: a wrong join puts another problem's
phrasing among the article's search synonyms and its answers before the
editor, while a missed join only leaves two drafts for an editor to merge.
Then the paraphrase level (see ``sure_similarity``). Leave-one-source-out rows show how a rule chosen without a source
does on it. ``--write`` saves the chosen rule.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "same_problem_pairs.json"
SIMILARITY = np.round(np.arange(0.60, 0.925, 0.025), 3)
ANSWER_FIT = np.round(np.arange(-0.25, 0.051, 0.025), 3)
SURE = (0.85, 0.875, 0.9, 0.925, 0.95, 0.975, 1.01)  # 1.01: the answer test always applies


def _lead_first(a: dict, b: dict) -> tuple[dict, dict]:
    key = lambda t: (any(x["accepted"] for x in t["answers"]), bool(t["answers"]), t.get("score") or 0)  # noqa: E731
    return (a, b) if key(a) >= key(b) else (b, a)


Row = tuple[str, int, float, float | None, bool, float | None]


def stack_exchange_pairs(data: Path) -> list[Row]:
    """(source, label, similarity, answer fit, titles contrast, own answer fit) for the links and hand labels
    of every dump."""
    from kb.engine.problems import Question, answer_fit, contrast

    hand = json.loads(LABELS.read_text())["pairs"]
    rows = []
    for folder in td.SITES:
        site = td.load_site(data / folder)
        short = folder.split("-", 1)[1]
        pos = {t["id"]: i for i, t in enumerate(site.threads)}
        vectors = td.question_vectors(site.threads)
        labelled = [(b, a, 1) for a, b in site.duplicates]  # (lead, question): the original leads
        labelled += [(*_ids(_lead_first(site.threads[pos[a]], site.threads[pos[b]])), 0) for a, b in site.related]
        labelled += [(*_ids(_lead_first(site.threads[pos[p["a"]]], site.threads[pos[p["b"]]])), int(p["same"]))
                     for p in hand if p["site"] == short]
        answers = td.best_answer_vectors(site.threads, {pos[x] for lead, q, _ in labelled for x in (lead, q)})
        for lead_id, q_id, label in labelled:
            i, j = pos[lead_id], pos[q_id]
            lead = Question(lead_id, vectors[i], answers.get(i))
            member = Question(q_id, vectors[j], answers.get(j))
            rows.append((short, label, float(vectors[i] @ vectors[j]), answer_fit(lead, vectors[j]),
                         contrast(site.threads[i]["title"], site.threads[j]["title"]) is not None,
                         answer_fit(member, vectors[i])))
    return rows


def _ids(pair: tuple[dict, dict]) -> tuple[str, str]:
    return pair[0]["id"], pair[1]["id"]


def stackfaq_pairs(data: Path) -> list[Row]:
    from kb.engine.answers import answer_text
    from kb.engine.problems import Question, answer_fit, contrast, question_text

    faq = td.load_stackfaq(data / "stackfaq")
    leads = td.embed([question_text(t, "") for t in faq.titles])
    answers = td.embed([answer_text(a[0]) for a in faq.answers])
    rows = []
    for g, group in enumerate(faq.paraphrases):
        vecs = td.embed([question_text(p, "") for p in group])
        sims = vecs @ leads.T
        for k, v in enumerate(vecs):
            other = sims[k].copy()
            other[g] = -9
            h = int(other.argmax())
            for lead_row, label in ((g, 1), (h, 0)):
                lead = Question(lead_row, leads[lead_row], answers[lead_row])
                rows.append(("stackfaq", label, float(sims[k, lead_row]), answer_fit(lead, v),
                             contrast(faq.titles[lead_row], group[k]) is not None, None))
    return rows


def joins(sim: float, fit: float | None, con: bool, own: float | None, a: float, b: float, c: float) -> bool:
    """``kb.engine.problems.judge`` on one labelled pair's features."""
    if sim < a or con:
        return False
    if sim >= c:
        return True
    test = fit if fit is not None else own
    return test is None or test >= b


def scores(rows, a: float, b: float, sources: list[str], c: float = 1.01) -> dict[str, tuple[float, float, int]]:
    """Per source: (precision, recall, pairs joined) of the rule (similarity a, answer fit b, sure similarity c)."""
    out = {}
    for src in sources:
        sel = [(label, joins(sim, fit, con, own, a, b, c)) for s, label, sim, fit, con, own in rows if s == src]
        joined = sum(1 for _, ok in sel if ok)
        right = sum(1 for label, ok in sel if ok and label)
        positives = sum(label for label, _ in sel)
        out[src] = (right / joined if joined else 1.0, right / positives if positives else 0.0, joined)
    return out


BETA = 0.25  # a wrong join costs far more than a missed one (see the module docstring)


def objective(per_source: dict[str, tuple[float, float, int]]) -> float:
    """F-beta of the sources' mean precision and mean recall."""
    p = float(np.mean([v[0] for v in per_source.values()]))
    r = float(np.mean([v[1] for v in per_source.values()]))
    b2 = BETA * BETA
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


SURE_PRECISION = 0.95


def sure_similarity(rows) -> float:
    """The lowest of ``SURE`` from which the labelled pairs are ≥ 95 % the same problem, each source weighing the
    same (the mean of the precisions of the sources with pairs that similar)."""
    for c in SURE:
        per_source = {}
        for src, label, sim, *_ in rows:
            if sim >= c:
                per_source.setdefault(src, []).append(label)
        if not per_source or np.mean([sum(v) / len(v) for v in per_source.values()]) >= SURE_PRECISION:
            return c
    return 1.01


def best_rule(rows, sources: list[str]) -> tuple[float, float, float, float]:
    """(objective, similarity, answer fit, sure similarity). Two steps: the similarity and answer fit that
    maximise the objective with the answer test always on, then the similarity from which it can be skipped."""
    rows = [r for r in rows if r[0] in sources]
    _, a, b = max(((objective(scores(rows, a, b, sources)), a, b) for a in SIMILARITY for b in ANSWER_FIT),
                  key=lambda g: (g[0], g[1], g[2]))  # ties: the stricter rule
    c = sure_similarity(rows)
    return objective(scores(rows, a, b, sources, c)), a, b, c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    parser.add_argument("--write", action="store_true", help="save the chosen rule to kb/engine/fitted/problems.json")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    rows = stack_exchange_pairs(data) + stackfaq_pairs(data)
    sources = sorted({r[0] for r in rows})
    print("labelled lead → question pairs: " + ", ".join(
        f"{s} {sum(1 for r in rows if r[0] == s)} ({sum(r[1] for r in rows if r[0] == s)} same)" for s in sources))
    value, a, b, c = best_rule(rows, sources)
    print(f"\nchosen on all sources: similarity ≥ {a:.3f}, answer fit ≥ {b:+.3f}, no answer test from {c:.3f} "
          f"(F-beta of mean P/R {value:.3f})")
    print(f"{'source':<10}{'precision':>10}{'recall':>8}{'joined':>8}")
    for src, (p, r, n) in scores(rows, a, b, sources, c).items():
        print(f"{src:<10}{p:>10.3f}{r:>8.3f}{n:>8d}")
    print("\nleave one source out (rule chosen on the others, scored on it):")
    held = {}
    for src in sources:
        _, ha, hb, hc = best_rule(rows, [s for s in sources if s != src])
        p, r, n = scores(rows, ha, hb, [src], hc)[src]
        held[src] = {"similarity": ha, "answer_fit": hb, "sure_similarity": hc, "precision": round(p, 3),
                     "recall": round(r, 3)}
        print(f"  {src:<10} rule ({ha:.3f}, {hb:+.3f}, {hc:.3f}): precision {p:.3f}, recall {r:.3f}, {n} joined")
    vetoed = [r for r in rows if r[4] and r[2] >= a]
    print(f"\ntitles that contrast (kb.engine.problems.CONTRASTS, numbers) at similarity ≥ {a:.3f}: "
          f"{len(vetoed)} pairs, {sum(r[1] for r in vetoed)} of them the same problem")
    print("\nprecision / recall by similarity alone (answer fit and contrast off), per source:")
    for sim in SIMILARITY[::2]:
        cells = scores([(*r[:4], False, None) for r in rows], sim, -9, sources)
        print(f"  ≥ {sim:.3f}  " + "  ".join(f"{s} {p:.2f}/{r:.2f}" for s, (p, r, _) in cells.items()))
    if args.write:
        from kb.engine.problems import FITTED

        FITTED.write_text(json.dumps({"min_similarity": float(a), "min_answer_fit": float(b),
                                      "sure_similarity": float(c)}) + "\n")
        print(f"\nwrote {FITTED.relative_to(td.REPO)}")
    print(json.dumps({"min_similarity": float(a), "min_answer_fit": float(b), "sure_similarity": float(c),
                      "objective": round(value, 4), "held_out": held}))


if __name__ == "__main__":
    main()
