"""Fit the problem-cluster join rule (``kb/engine/fitted/problems.json``) on the shared data.

Usage: python bench/fit_problems.py [DATA_DIR] [--hold-out cardano] [--write]

The rule (``kb.engine.problems.JoinRule``, applied here by ``joins``) has four settings: the least
similarity to the lead question, the least "answer fit" (how much less the
lead's best answer matches the question than the lead itself), whether the
question's own best answer must fit the lead too ("both ways"), and the
similarity from which a question is a paraphrase and the answer test is
skipped. Two titles that contrast ("minimum" against "maximum", different
numbers) never join, and while the lead has no answer the question's own best
answer must fit the lead instead. Labelled lead → question pairs, each with the product's own features:
- StackFAQ: each human paraphrase under its own thread (same problem) and
  under the most similar other thread (not);
- Stack Exchange duplicate links, lead = the original (same problem);
- Stack Exchange related links (not the same problem: a topic pair);
- hand-labelled nearest-neighbour pairs of beer, cardano and genai
  (``fixtures/trust/same_problem_pairs.json``).
A wrong join puts another problem's question, phrasing and answers before the
editor, while a missed join only leaves two drafts an editor can merge, so the
rule kept is the one with the highest mean recall over the sources among those
whose precision is at least ``TARGET`` (0.9) on *every* source that it joins
anything on (ties: the stricter rule). The paraphrase level is then the lowest
of ``SURE`` from which the labelled pairs are at least 95 % the same problem.
Leave-one-source-out shows whether that choice holds on a source it did not
see: when a rule chosen without some source joins that source at less than
``TARGET`` precision, the grid has over-fitted its few hard pairs, and the rule
falls back to the paraphrase level alone (``min_similarity`` = ``sure_similarity``:
a question joins only when it reads as a paraphrase of the lead, or by a
duplicate link). ``--hold-out SITE`` (default cardano) leaves a site out of every
choice, so that its figures and a hand read of its clusters are not scored on
what chose the rule. ``--write`` saves the rule kept.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402

LABELS = td.REPO / "fixtures" / "trust" / "same_problem_pairs.json"
SIMILARITY = np.round(np.arange(0.60, 0.951, 0.025), 3)
ANSWER_FIT = np.round(np.arange(-0.25, 0.051, 0.025), 3)
BOTH_WAYS = (False, True)
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


def stackfaq_candidates(faq) -> Iterator[tuple[int, int, str, float, float]]:
    """Each StackFAQ paraphrase against its own question (label 1) and the nearest other one (label 0):
    (lead row, label, paraphrase, similarity, the lead's answer fit)."""
    from kb.engine.answers import answer_text
    from kb.engine.problems import Question, answer_fit, question_text

    leads = td.embed([question_text(t, "") for t in faq.titles])
    answers = td.embed([answer_text(a[0]) for a in faq.answers])
    for g, group in enumerate(faq.paraphrases):
        vecs = td.embed([question_text(p, "") for p in group])
        sims = vecs @ leads.T
        for k, v in enumerate(vecs):
            other = sims[k].copy()
            other[g] = -9
            h = int(other.argmax())
            for lead_row, label in ((g, 1), (h, 0)):
                lead = Question(lead_row, leads[lead_row], answers[lead_row])
                yield lead_row, label, group[k], float(sims[k, lead_row]), answer_fit(lead, v)


def stackfaq_pairs(data: Path) -> list[Row]:
    from kb.engine.problems import contrast

    faq = td.load_stackfaq(data / "stackfaq")
    return [("stackfaq", label, sim, fit, contrast(faq.titles[row], text) is not None, None)
            for row, label, text, sim, fit in stackfaq_candidates(faq)]


def joins(sim: float, fit: float | None, con: bool, own: float | None, a: float, b: float, c: float,
          both: bool = False) -> bool:
    """``kb.engine.problems.judge`` on one labelled pair's features."""
    if sim < a or con:
        return False
    if sim >= c:
        return True
    if fit is not None:
        return fit >= b and (not both or own is None or own >= b)
    return own is None or own >= b


def scores(rows, a: float, b: float, sources: list[str], c: float = 1.01,
           both: bool = False) -> dict[str, tuple[float, float, int]]:
    """Per source: (precision, recall, pairs joined) of the rule (similarity a, answer fit b, sure similarity c,
    both ways); precision is 1.0 where nothing is joined."""
    out = {}
    for src in sources:
        sel = [(label, joins(sim, fit, con, own, a, b, c, both)) for s, label, sim, fit, con, own in rows
               if s == src]
        joined = sum(1 for _, ok in sel if ok)
        right = sum(1 for label, ok in sel if ok and label)
        positives = sum(label for label, _ in sel)
        out[src] = (right / joined if joined else 1.0, right / positives if positives else 0.0, joined)
    return out


TARGET = 0.9  # the least precision on every source (see the module docstring)


def objective(per_source: dict[str, tuple[float, float, int]]) -> float:
    """Mean recall over the sources when the precision is at least ``TARGET`` on every one, else -1."""
    if min(v[0] for v in per_source.values()) < TARGET:
        return -1.0
    return float(np.mean([v[1] for v in per_source.values()]))


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


def best_rule(rows, sources: list[str]) -> tuple[float, float, float, float, bool]:
    """(objective, similarity, answer fit, sure similarity, both ways). Two steps: the similarity, answer fit and
    both-ways setting that maximise the objective with the answer test always on, then the similarity from which
    it can be skipped (never below the least similarity)."""
    rows = [r for r in rows if r[0] in sources]
    _, a, b, both = max(((objective(scores(rows, a, b, sources, both=both)), a, b, both)
                         for a in SIMILARITY for b in ANSWER_FIT for both in BOTH_WAYS),
                        key=lambda g: (g[0], g[1], g[2], g[3]))  # ties: the stricter rule
    c = max(sure_similarity(rows), float(a))
    return objective(scores(rows, a, b, sources, c, both)), float(a), float(b), c, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None, help="shared data folder (default: GLEANER_SHARED_DATA)")
    parser.add_argument("--hold-out", default="cardano", help="a source left out of the choice ('' for none)")
    parser.add_argument("--write", action="store_true", help="save the chosen rule to kb/engine/fitted/problems.json")
    args = parser.parse_args()
    data = td.data_dir(args.data)
    rows = stack_exchange_pairs(data) + stackfaq_pairs(data)
    sources = sorted({r[0] for r in rows})
    print("labelled lead → question pairs: " + ", ".join(
        f"{s} {sum(1 for r in rows if r[0] == s)} ({sum(r[1] for r in rows if r[0] == s)} same)" for s in sources))
    fitting = [s for s in sources if s != args.hold_out]
    value, a, b, c, both = best_rule(rows, fitting)
    print(f"\nchosen on {', '.join(fitting)}: similarity ≥ {a:.3f}, answer fit ≥ {b:+.3f}"
          f"{' both ways' if both else ''}, no answer test from {c:.3f} (mean recall {value:.3f} at precision ≥ "
          f"{TARGET} on each source)")
    print(f"{'source':<10}{'precision':>10}{'recall':>8}{'joined':>8}")
    for src, (p, r, n) in scores(rows, a, b, sources, c, both).items():
        print(f"{src:<10}{p:>10.3f}{r:>8.3f}{n:>8d}{'  (held out)' if src == args.hold_out else ''}")
    print("\nleave one source out (rule chosen on the others, scored on it):")
    held = {}
    for src in sources:
        others = [s for s in fitting if s != src]
        _, ha, hb, hc, hboth = best_rule(rows, others)
        p, r, n = scores(rows, ha, hb, [src], hc, hboth)[src]
        held[src] = {"similarity": ha, "answer_fit": hb, "both_ways": hboth, "sure_similarity": hc,
                     "precision": round(p, 3), "recall": round(r, 3), "joined": n}
        print(f"  {src:<10} rule ({ha:.3f}, {hb:+.3f}{', both ways' if hboth else ''}, {hc:.3f}): "
              f"precision {p:.3f}, recall {r:.3f}, {n} joined")
    failed = [s for s, v in held.items() if v["joined"] and v["precision"] < TARGET]
    if failed:
        c = sure_similarity([r for r in rows if r[0] in fitting])
        a = c  # the answer settings no longer apply: at the paraphrase level there is no answer test
        print(f"\nover-fitted: held out, {', '.join(failed)} {'is' if len(failed) == 1 else 'are'} joined at less than "
              f"{TARGET} precision; falling back to the paraphrase level alone: similarity ≥ {c:.3f}")
        for src in sources:
            others = [r for r in rows if r[0] != src and r[0] in fitting]
            hc = sure_similarity(others)
            p, r, n = scores(rows, hc, -9.0, [src], hc)[src]
            print(f"  {src:<10} paraphrase level chosen without it {hc:.3f}: precision {p:.3f}, recall {r:.3f}, "
                  f"{n} joined")
        print(f"{'source':<10}{'precision':>10}{'recall':>8}{'joined':>8}")
        for src, (p, r, n) in scores(rows, a, b, sources, c, both).items():
            print(f"{src:<10}{p:>10.3f}{r:>8.3f}{n:>8d}{'  (held out)' if src == args.hold_out else ''}")
    vetoed = [r for r in rows if r[4] and r[2] >= a]
    print(f"\ntitles that contrast (kb.engine.problems.CONTRASTS, numbers) at similarity ≥ {a:.3f}: "
          f"{len(vetoed)} pairs, {sum(r[1] for r in vetoed)} of them the same problem")
    print("\nprecision / recall by similarity alone (answer fit and contrast off), per source:")
    for sim in SIMILARITY[::2]:
        cells = scores([(*r[:4], False, None) for r in rows], sim, -9, sources)
        print(f"  ≥ {sim:.3f}  " + "  ".join(f"{s} {p:.2f}/{r:.2f}" for s, (p, r, _) in cells.items()))
    if args.write:
        from kb.engine.problems import FITTED

        FITTED.write_text(json.dumps({"min_similarity": a, "min_answer_fit": b, "sure_similarity": c,
                                      "both_ways": both}) + "\n")
        print(f"\nwrote {FITTED.relative_to(td.REPO)}")
    print(json.dumps({"min_similarity": a, "min_answer_fit": b, "sure_similarity": c, "both_ways": both,
                      "held_out_site": args.hold_out or None, "fell_back": bool(failed), "held_out": held}))


if __name__ == "__main__":
    main()
