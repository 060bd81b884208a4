"""Draft clusters with the product's own code, shipped model and fitted settings; one JSON line each.

Usage: python bench/draft.py CLUSTERS.json [--show]

CLUSTERS.json is a list of clusters::

    [{"id": …, "lead": <thread id or null>,
      "threads": [{"id", "title", "question", "tags": [],
                   "answers": [{"id", "text", "score", "accepted", "created"}],
                   "duplicate_of": <thread id, optional: the source closed it as a duplicate of that thread>}]}]

Texts are plain text; ``created`` is ISO 8601 or null. With a ``lead`` the
draft answers that thread's problem (a new question joining a cluster);
without one the lead is chosen as the product chooses it. Each output line is
``{"id", "lead", "solution", "others", "evidence": [{"kind", "answers", "reason"}]}``
plus ``why``: the editor's view of every choice (members and why, questions
left out and why, the reason for each placed answer, the draft's note).
``--show`` prints the drafts as an editor reads them instead.
``bench/export_clusters.py`` makes a CLUSTERS.json from a Stack Exchange dump.
Embeddings are cached on disk (see ``bench/trust_data.py``).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402


class InputError(ValueError):
    pass


def _date(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError as exc:
        raise InputError(f"not an ISO 8601 date: {value!r}") from exc


def parse(raw) -> list[dict]:
    """Validate CLUSTERS.json; InputError names the first problem found."""
    from kb.engine.draft import DraftAnswer, DraftThread

    if not isinstance(raw, list):
        raise InputError("CLUSTERS.json must hold a JSON list of clusters")
    clusters = []
    for n, c in enumerate(raw):
        where = f"cluster #{n} (id {c.get('id')!r})" if isinstance(c, dict) else f"cluster #{n}"
        if not isinstance(c, dict) or "id" not in c or not isinstance(c.get("threads"), list) or not c["threads"]:
            raise InputError(f"{where}: needs an id and a non-empty list of threads")
        threads = []
        for t in c["threads"]:
            if not isinstance(t, dict) or "id" not in t or not isinstance(t.get("title", ""), str):
                raise InputError(f"{where}: every thread needs an id and a title")
            answers = []
            for a in t.get("answers") or []:
                if not isinstance(a, dict) or "id" not in a or not isinstance(a.get("text"), str):
                    raise InputError(f"{where}, thread {t['id']!r}: every answer needs an id and a text")
                try:
                    score = int(a.get("score") or 0)
                except (TypeError, ValueError) as exc:
                    raise InputError(f"{where}, answer {a['id']!r}: score must be a number") from exc
                answers.append(DraftAnswer(a["id"], a["text"], score, bool(a.get("accepted")), _date(a.get("created"))))
            threads.append(DraftThread(t["id"], t.get("title", ""), t.get("question") or "", tuple(answers),
                                       tuple(t.get("tags") or ()), int(t.get("score") or 0), _date(t.get("created")),
                                       t.get("duplicate_of")))
        ids = [t.id for t in threads]
        if len(set(map(str, ids))) != len(ids):
            raise InputError(f"{where}: thread ids repeat")
        answer_ids = [a.id for t in threads for a in t.answers]
        if len(set(map(str, answer_ids))) != len(answer_ids):
            raise InputError(f"{where}: answer ids repeat")
        lead = c.get("lead")
        if lead is not None and lead not in ids:
            raise InputError(f"{where}: lead {lead!r} is not one of its threads")
        clusters.append({"id": c["id"], "lead": lead, "threads": threads})
    return clusters


def draft_all(clusters: list[dict]):
    from kb.engine.answers import answer_text
    from kb.engine.draft import draft_cluster
    from kb.engine.problems import question_text

    qs = [t for c in clusters for t in c["threads"]]
    answers = [a for t in qs for a in t.answers]
    qv = td.embed([question_text(t.title, t.question) for t in qs])
    av = td.embed([answer_text(a.text) for a in answers])
    for c in clusters:
        ids = {t.id for t in c["threads"]}
        question_vectors = {t.id: qv[i] for i, t in enumerate(qs) if t.id in ids and t in c["threads"]}
        answer_vectors = {a.id: av[i] for i, a in enumerate(answers)}
        yield c, draft_cluster(c["threads"], question_vectors=question_vectors, answer_vectors=answer_vectors,
                               lead=c["lead"])


def as_json(cluster: dict, draft) -> dict:
    p = draft.placement
    placed = ([p.solution] if p.solution else []) + p.others
    return {
        "id": cluster["id"], "lead": draft.lead,
        "solution": p.solution.id if p.solution else None,
        "others": [o.id for o in p.others],
        "evidence": [{"kind": n.kind, "answers": list(n.answers), "reason": n.reason} for n in draft.evidence],
        "why": {
            "note": draft.note,
            "members": [{"thread": m.id, "relation": m.relation, "reason": m.reason} for m in draft.members],
            "left_out": [{"thread": t, "reason": r} for t, r in draft.left_out],
            "answers": [{"answer": s.id, "thread": s.thread_id, "reason": s.reason} for s in placed],
            "not_placed": [{"answer": s.id, "thread": s.thread_id, "reason": s.reason} for s in p.rejected],
        },
    }


def show(cluster: dict, draft, out=sys.stdout) -> None:
    threads = {t.id: t for t in cluster["threads"]}
    answers = {a.id: (a, t) for t in cluster["threads"] for a in t.answers}
    clip = lambda text, n: (lambda s: s if len(s) <= n else s[:n] + "…")(" ".join(text.split()))  # noqa: E731
    w = out.write
    w(f"=== cluster {cluster['id']}: {draft.title}  [lead {draft.lead}]\n")
    w(f"  problem: {clip(draft.problem, 400)}\n")
    for m in draft.members[1:]:
        w(f"  + {m.id}: {threads[m.id].title}  — {m.reason}\n")
    for tid, reason in draft.left_out:
        w(f"  - {tid}: {threads[tid].title}  — {reason}\n")
    if draft.note:
        w(f"  NOTE: {draft.note}\n")
    p = draft.placement
    for label, s in ([("SOLUTION", p.solution)] if p.solution else []) + [("other", o) for o in p.others]:
        a, _ = answers[s.id]
        w(f"  {label} {s.id} — {s.reason}\n      {clip(a.text, 700)}\n")
    for s in p.rejected:
        w(f"  (not placed {s.id}: {s.reason})\n")
    for n in draft.evidence:
        w(f"  EVIDENCE {n.kind} {list(n.answers)}: {n.reason}\n")
    w("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clusters", type=Path, help="CLUSTERS.json")
    parser.add_argument("--show", action="store_true", help="print the drafts as an editor reads them")
    args = parser.parse_args()
    try:
        clusters = parse(json.loads(args.clusters.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, InputError) as exc:
        parser.exit(2, f"draft.py: {args.clusters}: {exc}\n")
    for cluster, draft in draft_all(clusters):
        if args.show:
            show(cluster, draft)
        else:
            print(json.dumps(as_json(cluster, draft), default=str))


if __name__ == "__main__":
    main()
