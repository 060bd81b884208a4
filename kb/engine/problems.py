"""Problem clusters: questions one article answers, each judged against the cluster's lead.

A topic cluster (``kb.engine.clustering``) groups questions that are *about* the same
thing; a problem cluster groups questions that *ask* the same thing, so one
article answers all of them. Membership is never decided through a chain of
neighbours: every member is compared with the lead question itself.

The rule, as an editor reads it (``JoinRule``): *a question joins when the
source forum closed it as a duplicate of the lead, or when its text is at least
``sure_similarity`` similar to the lead's (a paraphrase), unless the two titles
ask opposite things* (``contrast``: "minimum" against "maximum", numbers none in
common). Below the paraphrase level ``JoinRule`` can also join a question at
``min_similarity`` or more when an answer speaks to both (the lead's best answer
fits it nearly as well as it fits the lead, no more than ``-min_answer_fit`` less
similar; ``both_ways``: its own best answer fits the lead so too; while the lead
has no answer, its own best answer must fit the lead so). The shipped rule does not:
on the labelled neighbours of the shared Stack Exchange dumps, questions that read
0.75–0.90 alike mostly ask another thing about the same subject, and neither the
answers nor the titles tell them apart, so ``min_similarity`` equals
``sure_similarity``. The numbers are chosen by ``bench/fit_problems.py`` on the
shared Stack Exchange and StackFAQ data and kept in ``fitted/problems.json``.

Leads are chosen greedily: the question the rule would join the most others to
comes first (ties: an accepted answer, any answer, higher score) and claims
every unassigned question the rule accepts, and so on. The article answers its
lead, so when a member of that group has a better confirmed answer than the
question that formed it (accepted, then any answer, then a higher score) and the
rule joins every other question of the group to that member too, the member
leads instead. Joins first keeps a problem whole (an accepted question on one
side of it would claim only its own side); the move gives the draft the
confirmed solution whenever that costs no member. Questions nobody claims stay
single: on a forum where most questions are unique that is most of them, and
each is still a problem an article can answer.
"""
from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

FITTED = Path(__file__).with_name("fitted") / "problems.json"
# The model reads at most 256 word pieces; longer text only costs tokenizer time.
QUESTION_CHARS = 2000

Relation = Literal["lead", "duplicate", "similar", "editor"]  # editor: only in drafts, an editor's addition


def question_text(title: str, body_text: str) -> str:
    """What a thread's question is embedded as: its title, then the start of its question text."""
    return f"{title.strip()}\n{' '.join(body_text.split())}"[:QUESTION_CHARS]


@dataclass(frozen=True, slots=True)
class Question:
    """One thread's question as the clustering sees it.

    ``vector`` is the unit vector of "title + question text"; ``answer_vector``
    the unit vector of its best answer (accepted, else highest score), or None
    when it has no answer. ``title`` is the thread's title. ``duplicate_of``
    is the thread the source forum (or an editor) closed it as a duplicate of.
    """

    id: Hashable
    vector: np.ndarray
    answer_vector: np.ndarray | None = None
    accepted: bool = False
    score: int = 0
    duplicate_of: Hashable | None = None
    title: str = ""  # for the contrast test ("minimum" against "maximum"); empty: no test


@dataclass(frozen=True, slots=True)
class JoinRule:
    min_similarity: float
    min_answer_fit: float
    sure_similarity: float = 1.01  # at or above this, a paraphrase: no answer test (1.01: never)
    both_ways: bool = False  # when both have an answer, each must fit the other question

    @classmethod
    def fitted(cls) -> "JoinRule":
        data = json.loads(FITTED.read_text())
        return cls(min_similarity=float(data["min_similarity"]), min_answer_fit=float(data["min_answer_fit"]),
                   sure_similarity=float(data.get("sure_similarity", 1.01)), both_ways=bool(data.get("both_ways")))

    def loose(self, min_similarity: float) -> "JoinRule":
        """The looser rule of before the switch to paraphrases, for suggestions to an editor only.

        From ``min_similarity`` the lead's best answer must fit the question (the rule's own ``min_answer_fit``;
        while the lead has no answer, the question's own answer must fit the lead); paraphrases need no answer
        test. Nothing joins automatically by it: on real forums most questions it adds ask something else.
        """
        return replace(self, min_similarity=min_similarity, both_ways=False,
                       sure_similarity=max(self.sure_similarity, min_similarity))

    def explain(self) -> str:
        if self.sure_similarity <= self.min_similarity:
            ask = f"at least {self.min_similarity:.2f} similar to the lead question (a paraphrase)"
        else:
            sure = (f"at least {self.sure_similarity:.2f} similar to the lead question (a paraphrase), or "
                    if self.sure_similarity <= 1 else "")
            answers = ("the lead's best answer and its own each fit the other question nearly as well as their own"
                       if self.both_ways else "the lead's best answer fits it nearly as well as the lead")
            ask = (f"{sure}at least {self.min_similarity:.2f} similar and {answers} (at most "
                   f"{-self.min_answer_fit:.2f} less; while the lead has no answer, its own best answer must fit "
                   f"the lead so)")
        return (f"joins when the source closed it as a duplicate of the lead, or when {ask}, unless the titles ask "
                f"opposite things (minimum / maximum, other numbers)")


@dataclass(frozen=True, slots=True)
class Membership:
    """Why one question is in its problem cluster."""

    id: Hashable
    relation: Relation
    similarity: float  # cosine to the lead question (1.0 for the lead)
    answer_fit: float | None  # cos(lead answer, question) − cos(lead answer, lead); None without a lead answer
    reason: str


@dataclass(frozen=True, slots=True)
class ProblemCluster:
    lead: Hashable
    members: list[Membership] = field(default_factory=list)  # the lead first

    @property
    def ids(self) -> list[Hashable]:
        return [m.id for m in self.members]


def answer_fit(lead: Question, other_vector: np.ndarray) -> float | None:
    """How much less the lead's best answer matches ``other_vector`` than the lead's own question (≤ 0 usually)."""
    if lead.answer_vector is None:
        return None
    return float(lead.answer_vector @ other_vector - lead.answer_vector @ lead.vector)


# Opposite words that turn one problem into another ("the minimum amount" against "the maximum amount"). Only
# content words: function words such as in/out, on/off or with/without are phrased either way for one problem.
CONTRASTS = (
    ("minimum", "maximum"), ("min", "max"), ("most", "least"), ("increase", "decrease"), ("more", "fewer"),
    ("before", "after"), ("enable", "disable"), ("add", "remove"), ("buy", "sell"), ("send", "receive"),
    ("deposit", "withdraw"), ("upgrade", "downgrade"), ("first", "last"), ("higher", "lower"),
    ("highest", "lowest"), ("hot", "cold"), ("import", "export"), ("input", "output"), ("lock", "unlock"),
    ("encrypt", "decrypt"), ("install", "uninstall"), ("mainnet", "testnet"),
)
_WORD = re.compile(r"[^\W_]+")


def contrast(lead_title: str, title: str) -> str | None:
    """Why two titles ask different things although they read alike, or None.

    One names a word and the other its opposite (neither both), or both name numbers and none in common.
    """
    a, b = set(_WORD.findall(lead_title.lower())), set(_WORD.findall(title.lower()))
    for x, y in CONTRASTS:
        for one, other in ((x, y), (y, x)):
            if one in a and other in b and other not in a and one not in b:
                return f"it asks about “{other}” where the lead asks about “{one}”"
    numbers_a, numbers_b = {w for w in a if w.isdigit()}, {w for w in b if w.isdigit()}
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        return (f"it names {', '.join(sorted(numbers_b))} where the lead names "
                f"{', '.join(sorted(numbers_a))}")
    return None


def judge(lead: Question, question: Question, rule: JoinRule) -> Membership | None:
    """The membership of ``question`` under ``lead``, or None when the rule does not join them.

    Titles that contrast (``contrast``) never join, however alike they read. Below the paraphrase level a
    question joins only when an answer speaks to both: the lead's best answer fits the question, or,
    while the lead has no answer, the question's own best answer fits the lead.
    """
    similarity = float(lead.vector @ question.vector)
    fit = answer_fit(lead, question.vector)
    if question.duplicate_of is not None and question.duplicate_of == lead.id:
        return Membership(question.id, "duplicate", similarity, fit,
                          "the source closed it as a duplicate of the lead question")
    if similarity < rule.min_similarity or contrast(lead.title, question.title) is not None:
        return None
    if similarity >= rule.sure_similarity:
        return Membership(question.id, "similar", similarity, fit,
                          f"same problem: {similarity:.2f} similar to the lead question, a paraphrase")
    reason = f"same problem: {similarity:.2f} similar to the lead question"
    own = (float(question.answer_vector @ lead.vector - question.answer_vector @ question.vector)
           if question.answer_vector is not None else None)
    if fit is not None:
        if fit < rule.min_answer_fit:
            return None
        reason += f"; the lead's best answer matches it {_fits(fit, 'the lead')}"
        if rule.both_ways and own is not None:
            if own < rule.min_answer_fit:
                return None
            reason += f", and its own best answer matches the lead {_fits(own, 'its own question')}"
    elif own is not None:
        if own < rule.min_answer_fit:
            return None
        reason += (f"; the lead has no answer yet, and its own best answer matches the lead "
                   f"{_fits(own, 'its own question')}")
    else:
        reason += "; neither has an answer yet to compare"
    return Membership(question.id, "similar", similarity, fit, reason)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A question that may ask the lead's problem: the looser rule joins it, an editor decides."""

    id: Hashable
    similarity: float  # cosine to the lead question
    answer_fit: float | None
    reason: str


def _fits(value: float, other: str) -> str:
    """An answer-fit difference in an editor's words: "0.03 less well than the lead"."""
    if abs(value) < 0.005:
        return f"as well as {other}"
    return f"{abs(value):.2f} {'better' if value > 0 else 'less well'} than {other}"


def suggest(lead: Question, questions: Iterable[Question], rule: JoinRule, *, limit: int = 5) -> list[Suggestion]:
    """Up to ``limit`` of ``questions`` that ``rule`` (``JoinRule.loose``) joins to ``lead``, most similar first.

    The decision is ``judge``'s, so titles that contrast are never suggested; duplicate links are not
    looked at (a linked question joins on its own). Each suggestion says why in an editor's words.
    """
    found: list[Suggestion] = []
    for q in questions:
        if q.id == lead.id:
            continue
        m = judge(lead, replace(q, duplicate_of=None), rule)
        if m is None:
            continue
        reason = f"{m.similarity:.2f} similar to the lead"
        if m.similarity >= rule.sure_similarity:
            reason += ", a paraphrase"
        elif m.answer_fit is not None:
            reason += f"; the lead's best answer matches it {_fits(m.answer_fit, 'the lead')}"
        elif q.answer_vector is not None:
            own = float(q.answer_vector @ lead.vector - q.answer_vector @ q.vector)
            reason += f"; the lead has no answer yet, its own best answer matches the lead {_fits(own, 'its own question')}"
        else:
            reason += "; neither has an answer yet to compare"
        found.append(Suggestion(q.id, m.similarity, m.answer_fit, reason))
    found.sort(key=lambda s: -s.similarity)
    return found[:limit]


def candidate_pairs(vectors: np.ndarray, *, min_similarity: float, k: int = 10) -> list[tuple[int, int, float]]:
    """Row pairs ``(i, j, cosine)`` with i < j among each row's ``k`` nearest at ≥ ``min_similarity``.

    Only these pairs can pass ``judge`` on similarity, so a caller needs the
    answer vectors of their rows alone (embedding every answer is the costly part).
    """
    from kb.engine.clustering.graph import knn_graph

    if len(vectors) < 2:
        return []
    neighbors, sims = knn_graph(np.asarray(vectors, dtype=np.float32), k=k)
    pairs: dict[tuple[int, int], float] = {}
    for i in range(neighbors.shape[0]):
        for j, s in zip(neighbors[i], sims[i]):
            if j >= 0 and j != i and s >= min_similarity:
                key = (min(i, int(j)), max(i, int(j)))
                pairs[key] = max(pairs.get(key, -1.0), float(s))
    return sorted((i, j, s) for (i, j), s in pairs.items())


def _root(q: Question, questions: Sequence[Question], pos: Mapping[Hashable, int]) -> Hashable | None:
    """The end of ``q``'s chain of duplicate links inside ``questions`` (a duplicate of a duplicate joins the
    original), or None when it has no link there. A cycle stops where it closes."""
    seen = {q.id}
    target = q.duplicate_of
    while target in pos and target not in seen:
        seen.add(target)
        nxt = questions[pos[target]].duplicate_of
        if nxt not in pos or nxt in seen:
            return target
        target = nxt
    return target if target in pos and target != q.id else None


def _lead_key(q: Question, joins: int) -> tuple:
    return (joins, q.accepted, q.answer_vector is not None, q.score)


def _answer_key(q: Question) -> tuple:
    """How well confirmed a question's best answer is: accepted, then any answer, then a higher score."""
    return (q.accepted, q.answer_vector is not None, q.score)


def problem_clusters(
    questions: Sequence[Question], *, rule: JoinRule | None = None, k: int = 10, min_size: int = 2,
) -> list[ProblemCluster]:
    """Problem clusters of at least ``min_size`` questions, largest first.

    Preconditions: vectors are unit length and of one width; ids are unique.
    A duplicate link to a question outside ``questions`` is ignored.
    Deterministic: ties fall back to input order.
    """
    rule = rule or JoinRule.fitted()
    n = len(questions)
    if n == 0:
        return []
    pos = {q.id: i for i, q in enumerate(questions)}
    questions = [replace(q, duplicate_of=_root(q, questions, pos)) for q in questions]
    matrix = np.vstack([q.vector for q in questions]).astype(np.float32)
    accepts: list[dict[int, Membership]] = [{} for _ in range(n)]
    neighbours = candidate_pairs(matrix, min_similarity=rule.min_similarity, k=k)
    for i, j, _ in neighbours:
        for a, b in ((i, j), (j, i)):
            m = judge(questions[a], questions[b], rule)
            if m is not None:
                accepts[a][b] = m
    for j, q in enumerate(questions):
        target = pos.get(q.duplicate_of) if q.duplicate_of is not None else None
        if target is not None and target != j:
            accepts[target][j] = judge(questions[target], q, rule)
    order = sorted(range(n), key=lambda i: _lead_key(questions[i], len(accepts[i])), reverse=True)
    # A question closed as a duplicate never leads while the question it duplicates is here.
    linked = {i for i in range(n) if pos.get(questions[i].duplicate_of) is not None}
    order = [i for i in order if i not in linked] + [i for i in order if i in linked]
    assigned: set[int] = set()
    clusters: list[ProblemCluster] = []
    for i in order:
        if i in assigned:
            continue
        group = [j for j in accepts[i] if j not in assigned]
        if not group:
            continue
        lead, joined = _confirmed_lead(i, group, questions, linked, accepts, rule)
        joined_list = [m for j, m in sorted(joined.items(), key=lambda kv: (-kv[1].similarity, kv[0]))]
        q = questions[lead]
        head = Membership(q.id, "lead", 1.0, 0.0 if q.answer_vector is not None else None,
                          "the question this article answers")
        assigned.add(lead)
        assigned.update(joined)
        clusters.append(ProblemCluster(q.id, [head, *joined_list]))
    clusters = [c for c in clusters if len(c.members) >= min_size]
    clusters.sort(key=lambda c: -len(c.members))
    return clusters


def _confirmed_lead(centre: int, group: Sequence[int], questions: Sequence[Question], linked: set[int],
                    accepts: Sequence[Mapping[int, Membership]], rule: JoinRule) -> tuple[int, dict[int, Membership]]:
    """The lead of the group ``centre`` claims, and every other member's membership.

    The article answers its lead, so when a member's answer is better confirmed than the centre's (accepted,
    then any answer, then a higher score) and the rule joins every other question of the group to that
    member too, the member leads; otherwise the centre does. A linked duplicate never leads.
    """
    candidates = sorted((j for j in group if j not in linked and _answer_key(questions[j]) > _answer_key(
        questions[centre])), key=lambda j: _answer_key(questions[j]), reverse=True)
    for j in candidates:
        kept = {o: accepts[j].get(o) or judge(questions[j], questions[o], rule) for o in [centre, *group] if o != j}
        if all(m is not None for m in kept.values()):
            return j, kept
    return centre, {j: accepts[centre][j] for j in group}


def problem_join(question: Question, leads: Iterable[Question], rule: JoinRule | None = None) -> tuple[
        Hashable, Membership] | None:
    """The lead a new question joins (its duplicate link first, else the most similar lead the rule accepts)."""
    rule = rule or JoinRule.fitted()
    best: tuple[Hashable, Membership] | None = None
    for lead in leads:
        m = judge(lead, question, rule)
        if m is None:
            continue
        if m.relation == "duplicate":
            return lead.id, m
        if best is None or m.similarity > best[1].similarity:
            best = (lead.id, m)
    return best


def singletons(questions: Sequence[Question], clusters: Sequence[ProblemCluster]) -> list[Hashable]:
    """Ids in no cluster: each is a problem of its own."""
    taken = {i for c in clusters for i in c.ids}
    return [q.id for q in questions if q.id not in taken]


def by_id(clusters: Sequence[ProblemCluster]) -> Mapping[Hashable, ProblemCluster]:
    return {m.id: c for c in clusters for m in c.members}
