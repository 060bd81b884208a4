"""One draft article from one cluster, every choice with its reason (pure: plain data and vectors in).

The draft answers its lead question. Steps, each in its own module:
1. the lead: given (a new question joining a cluster, or the problem
   cluster's lead), else a question with an accepted answer the join rule ties the most others to;
2. membership (``problems.judge``): each other question is the lead's problem
   or is left out, with the reason;
3. answers (``answers.score_answers`` / ``place_answers``): the lead's own
   answers, and answers of same-problem threads the answer model trusts; a
   solution nobody vouched for, or none at all, is said plainly;
4. evidence (``conflicts.evidence``) over what was placed.
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from kb.engine.answers import AnswerModel, Candidate, Placement, ThreadRelation, place_answers, score_answers
from kb.engine.conflicts import AnswerText, Conflict, evidence
from kb.engine.problems import JoinRule, Membership, Question, judge

NO_SOLUTION = "No confident solution yet: ask the community."
UNCONFIRMED = "Unconfirmed solution: nobody has accepted or voted up this answer yet."
SAME_ANSWER = 0.95  # answer vectors this close are the same answer said twice
PROBLEM_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class DraftAnswer:
    id: Hashable
    text: str
    score: int = 0
    accepted: bool = False
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftThread:
    id: Hashable
    title: str
    question: str
    answers: tuple[DraftAnswer, ...] = ()
    tags: tuple[str, ...] = ()
    score: int = 0
    created: datetime | None = None
    duplicate_of: Hashable | None = None  # the thread the source (or an editor) closed it as a duplicate of
    added: str = ""  # an editor added it as the lead's problem: why (it is then never left out); empty otherwise


@dataclass(frozen=True, slots=True)
class Draft:
    lead: Hashable
    title: str
    problem: str
    members: list[Membership]  # the lead first, then the questions judged the lead's problem
    left_out: list[tuple[Hashable, str]]  # questions of the cluster that are not the lead's problem, with why
    placement: Placement
    evidence: list[Conflict] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the editor must know first about the solution ("" when it is confirmed)."""
        if self.placement.solution is None:
            return NO_SOLUTION
        return "" if self.placement.confident else UNCONFIRMED


def first_sentences(text: str, count: int = PROBLEM_SENTENCES) -> str:
    """The first ``count`` sentences, whitespace collapsed."""
    flat = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", flat)
    return " ".join(parts[:count])


def choose_lead(threads: Sequence[DraftThread], questions: Mapping[Hashable, Question], rule: JoinRule) -> Hashable:
    """As ``problems.problem_clusters`` leads: a thread with an accepted answer first, then the one the rule ties
    the most others to; ties: any answer, score, input order."""
    def key(item: tuple[int, DraftThread]):
        i, t = item
        joins = sum(1 for o in threads if o.id != t.id and judge(questions[t.id], questions[o.id], rule) is not None)
        return (any(a.accepted for a in t.answers), joins, bool(t.answers), t.score, -i)

    return max(enumerate(threads), key=key)[1].id


def _relation(lead: DraftThread, thread: DraftThread, membership: Membership | None,
              vectors: Mapping[Hashable, np.ndarray]) -> ThreadRelation | None:
    if thread.id == lead.id:
        return ThreadRelation("own", 1.0, vectors[thread.id])
    similarity = float(vectors[lead.id] @ vectors[thread.id])
    if thread.duplicate_of == lead.id or lead.duplicate_of == thread.id:
        return ThreadRelation("duplicate", similarity, vectors[thread.id])
    if membership is not None:
        return ThreadRelation("same problem", similarity, vectors[thread.id])
    return None


def draft_cluster(
    threads: Sequence[DraftThread], *, question_vectors: Mapping[Hashable, np.ndarray],
    answer_vectors: Mapping[Hashable, np.ndarray], lead: Hashable | None = None, rule: JoinRule | None = None,
    model: AnswerModel | None = None,
) -> Draft:
    """Draft the article answering ``lead`` (chosen when None) from ``threads``.

    Preconditions: ``threads`` is non-empty and holds ``lead`` when given;
    every thread has a unit question vector and every answer a unit answer
    vector (``kb.engine.problems.question_text`` / ``kb.engine.answers.answer_text``).
    """
    if not threads:
        raise ValueError("a draft needs at least one thread")
    rule = rule or JoinRule.fitted()
    model = model or AnswerModel.fitted()
    by_id = {t.id: t for t in threads}
    if lead is not None and lead not in by_id:
        raise ValueError(f"lead {lead!r} is not one of the cluster's threads")
    questions = {}
    for t in threads:
        best = max(t.answers, key=lambda a: (a.accepted, a.score), default=None)
        questions[t.id] = Question(t.id, question_vectors[t.id],
                                   answer_vectors[best.id] if best is not None else None,
                                   accepted=any(a.accepted for a in t.answers), score=t.score,
                                   duplicate_of=t.duplicate_of, title=t.title)
    lead_id = lead if lead is not None else choose_lead(threads, questions, rule)
    lead_thread = by_id[lead_id]
    members = [Membership(lead_id, "lead", 1.0, None, "the question this article answers")]
    left_out, relations = [], {}
    for t in threads:
        m = None
        if t.id != lead_id:
            m = judge(questions[lead_id], questions[t.id], rule)
            if m is None and lead_thread.duplicate_of == t.id:
                m = Membership(t.id, "duplicate", float(questions[lead_id].vector @ questions[t.id].vector), None,
                               "the source closed the lead question as a duplicate of it")
            if m is None and t.added:
                m = Membership(t.id, "editor", float(questions[lead_id].vector @ questions[t.id].vector), None,
                               t.added)
            if m is None:
                sim = float(questions[lead_id].vector @ questions[t.id].vector)
                left_out.append((t.id, f"not the lead's problem: {sim:.2f} similar to the lead question "
                                       f"({rule.explain()})"))
            else:
                members.append(m)
        relation = _relation(lead_thread, t, m, question_vectors)
        if relation is not None:
            relations[t.id] = relation
    candidates = [Candidate(a.id, t.id, a.text, answer_vectors[a.id], a.score, a.accepted, a.created)
                  for t in threads if t.id in relations for a in t.answers]
    scored = score_answers(candidates, lead_vector=question_vectors[lead_id], relations=relations, model=model)

    def same_text(a: Hashable, b: Hashable) -> bool:
        return float(answer_vectors[a] @ answer_vectors[b]) >= SAME_ANSWER

    placement = place_answers(scored, model=model, same_text=same_text)
    texts = {c.id: AnswerText(c.id, c.text, c.created, c.score, c.accepted) for c in candidates}
    placed_ids = [s.id for s in ([placement.solution] if placement.solution else []) + placement.others]
    alternatives = [texts[s.id] for s in scored if s.eligible and s.id not in placed_ids]
    notes = evidence(texts[placement.solution.id] if placement.solution else None,
                     [texts[s.id] for s in placement.others], question=lead_thread.title, alternatives=alternatives)
    seen = {lead_thread.title.strip().lower()}
    variants = []
    for m in members[1:]:
        title = by_id[m.id].title.strip()
        if title.lower() not in seen:
            seen.add(title.lower())
            variants.append(title)
    return Draft(
        lead=lead_id, title=lead_thread.title.strip(),
        problem=first_sentences(lead_thread.question) or lead_thread.title.strip(),
        members=members, left_out=left_out, placement=placement, evidence=notes, variants=variants,
    )
