"""Which answers may go into an article, judged against the article's problem (the lead question).

The article answers its lead question, so every answer is scored against that
question, never against the cluster as a whole. ``non_answer`` spots replies
that are not answers at all; ``answer_features`` and ``AnswerModel`` (fitted
by ``bench/fit_answers.py``) give each candidate a probability that it answers
the lead, from its relation to the lead, how close it is to the lead question,
and what the community said of it; ``place_answers`` picks the solution and a
handful of other solutions, each with the reason an editor reads.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

ANSWER_CHARS = 2000
FITTED = Path(__file__).with_name("fitted") / "answers.json"


def answer_text(text: str) -> str:
    """What an answer is embedded as: its plain text, cut where the model has long stopped reading."""
    return text[:ANSWER_CHARS]


def best_answer(answers: Sequence[Mapping]) -> Mapping | None:
    """The thread's own best answer: accepted, else the highest score (first on a tie), or None."""
    if not answers:
        return None
    return max(answers, key=lambda a: (bool(a.get("accepted")), int(a.get("score") or 0)))


# --- non-answers -------------------------------------------------------------------------
# Replies posted as answers that answer nothing. Each rule is one kind an editor
# recognises; all look only at short replies, since a long reply that opens
# with "Thanks" or a question usually goes on to answer.

_WORD = re.compile(r"[\w'’-]+")
_THANKS = re.compile(
    r"\b(thanks|thank you|thx|ty|cheers|that (did it|did the trick|worked|helped|fixed it)"
    r"|this (worked|helped|fixed it)|it worked|worked for me|works now|(problem|issue|that|it'?s?) (is |was )?"
    r"(solved|fixed)|solved it|fixed it|all good now|back online)\b(?! to\b| by\b| with\b)")
# Instruction words: a short reply holding one of these says what to do, so it is kept.
_INSTRUCTS = re.compile(
    r"\b(you (need|have|should|can|must)|try|use|set|run|install|(?<!any )update|upgrade|change|go to|open|click"
    r"|instead|by \w+ing|because|the (fix|solution|problem|issue) (is|was)|(solved|fixed)( it)? (with|by))\b")
_ME_TOO = re.compile(
    r"^(.{0,40}\b)?(same here|me too|same (problem|issue|thing|error) (here|for me)|i have the same|i('m| am) having "
    r"the same|i('ve| have) (got )?the same|having the same|also having|any (update|news|solution|luck)"
    r"|did you (ever )?(find|figure|solve|fix|get)|has anyone (found|figured|solved)|\+1)\b")
_ASKING = re.compile(
    r"^(did|have|has|what|which|can|could|would|are|is|do|does|where|when|why|were|was)\b(?! about\b)")
# A progress report posted as a reply ("Update 3: still stable after moving it"), not a way to solve anything.
_STATUS = re.compile(r"^(update|edit|status|progress|follow[- ]?up)\s*(#?\d+)?\s*[:\-–—]")
_STILL = re.compile(r"\b(still|again|no change|nothing changed|stable|same as before)\b")
_POINTER = re.compile(r"\b(see|check|look at|have a look|read|refer to)\b.{0,40}\b(here|this|link|article|post|page|"
                      r"question|answer|docs?|documentation|thread|faq|wiki|tutorial|video)\b")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def non_answer(text: str) -> str | None:
    """The kind of non-answer ``text`` is, or None when it may be an answer.

    Kinds: "empty"; "thanks" (thanks or "that worked", under 25 words);
    "me-too" ("same here", "any update?", under 40 words); "question" (only
    asks back: every sentence is a question opening with "did/have/what/…",
    under 40 words); "link-only" (points elsewhere — "see this article" — in
    under 10 words); "status update" ("Update 3: still stable", "Edit: it happened again", under
    40 words);
    "too short" (under 4 words). The first three and status updates are kept when
    they also say what to do ("try …", "you need to …", "solved it by …").
    """
    flat = " ".join(text.split())
    words = _words(flat)
    lower = flat.lower()
    if not words:
        return "empty"
    n = len(words)
    instructs = bool(_INSTRUCTS.search(lower))
    if n < 25 and _THANKS.search(lower) and not instructs:
        return "thanks"
    if n < 40 and _ME_TOO.search(lower) and not instructs:
        return "me-too"
    status = _STATUS.match(lower)
    if n < 40 and status and _STILL.search(lower) and not _INSTRUCTS.search(lower[status.end():]):
        return "status update"
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", flat) if _words(s)]
    if n < 40 and sentences and all(s.rstrip().endswith("?") and _ASKING.match(s.lower()) for s in sentences):
        return "question"
    if n < 10 and _POINTER.search(lower):
        return "link-only"
    if n < 4:
        return "too short"
    return None


# --- scoring against the lead ------------------------------------------------------------

Relation = Literal["own", "duplicate", "same problem"]
# Inputs of the model for answers from other threads than the lead's (see ``answer_features``).
FEATURES = ("duplicate", "question_similarity", "lead_similarity", "fit", "accepted", "votes")
# An answer nobody accepted or voted up is placed, but the draft says nobody confirmed it.
CONFIRMED_SCORE = 1
# An answer of another thread must speak to the lead's question at all, whatever links its thread: on the
# shared dumps no duplicate-linked answer matches its lead under 0.36 and 2 of 164 hand-labelled same-problem
# answers under 0.15, while a joke or off-topic reply in a linked thread can (bench/fit_answers.py rows).
MIN_LEAD_SIMILARITY = 0.15


@dataclass(frozen=True, slots=True)
class Candidate:
    """An answer that might go into the article. ``vector`` is the unit vector of ``answer_text``."""

    id: Hashable
    thread_id: Hashable
    text: str
    vector: np.ndarray
    score: int = 0
    accepted: bool = False  # accepted in its own thread
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThreadRelation:
    """How a candidate's thread relates to the lead question."""

    kind: Relation
    question_similarity: float  # cosine between the two questions (1.0 for the lead's own thread)
    question_vector: np.ndarray  # the thread's own question


def answer_features(candidate: Candidate, *, lead_vector: np.ndarray, relation: ThreadRelation) -> dict[str, float]:
    """The model's inputs for one answer of another thread, each readable on its own:
    duplicate (the source linked the threads), question similarity (of the two
    questions), lead similarity (answer to the lead question), fit (lead
    similarity minus the answer's similarity to its own question), accepted
    (in its own thread), votes (log(1 + score), 0 below zero)."""
    lead_sim = float(candidate.vector @ lead_vector)
    return {
        "duplicate": float(relation.kind == "duplicate"),
        "question_similarity": relation.question_similarity,
        "lead_similarity": lead_sim,
        "fit": lead_sim - float(candidate.vector @ relation.question_vector),
        "accepted": float(candidate.accepted),
        "votes": math.log1p(max(candidate.score, 0)),
    }


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """Logistic model for answers of other threads: P(answers the lead question) = σ(intercept + Σ coef·feature)."""

    coef: Mapping[str, float]
    intercept: float
    min_probability: float  # an answer of another thread is placed from this probability on
    max_others: int

    @classmethod
    def fitted(cls) -> "AnswerModel":
        data = json.loads(FITTED.read_text())
        return cls(coef=data["coef"], intercept=float(data["intercept"]),
                   min_probability=float(data["min_probability"]), max_others=int(data["max_others"]))

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept + sum(self.coef[name] * features[name] for name in self.coef)
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    id: Hashable
    thread_id: Hashable
    relation: Relation
    eligible: bool  # may be placed in the article
    probability: float | None  # the model's, for answers of other threads
    accepted: bool
    score: int
    reason: str

    @property
    def confirmed(self) -> bool:
        """Someone besides its author vouched for it: accepted, or voted up."""
        return self.accepted or self.score >= CONFIRMED_SCORE


def _signals(candidate: Candidate) -> str:
    return ("accepted, " if candidate.accepted else "") + f"score {candidate.score}"


def score_answer(candidate: Candidate, *, lead_vector: np.ndarray, relation: ThreadRelation,
                 model: AnswerModel) -> ScoredAnswer:
    """Judge one answer against the lead question; the reason says which rule decided.

    Rules, in order: a reply that is not an answer (``non_answer``) and an
    answer voted below zero are never placed; an answer in the lead's own
    thread is placed (it was written for this very question); an answer of
    another thread is placed when it matches the lead question at least
    ``MIN_LEAD_SIMILARITY`` and the model gives at least ``min_probability``.
    """
    def result(eligible: bool, p: float | None, reason: str) -> ScoredAnswer:
        return ScoredAnswer(candidate.id, candidate.thread_id, relation.kind, eligible, p, candidate.accepted,
                            candidate.score, reason)

    kind = non_answer(candidate.text)
    if kind is not None:
        return result(False, None, f"not an answer ({kind})")
    if candidate.score < 0:
        return result(False, None, f"voted below zero (score {candidate.score})")
    if relation.kind == "own":
        return result(True, None, f"answers the lead question in its own thread ({_signals(candidate)})")
    features = answer_features(candidate, lead_vector=lead_vector, relation=relation)
    p = model.probability(features)
    where = (f"from thread {candidate.thread_id}, linked by the source as a duplicate of the lead"
             if relation.kind == "duplicate" else
             f"from thread {candidate.thread_id}, whose question is {relation.question_similarity:.2f} similar to the "
             f"lead's")
    fit = features["fit"]
    reason = (f"{where} ({_signals(candidate)}); it matches the lead question {features['lead_similarity']:.2f}, "
              f"{abs(fit):.2f} {'better' if fit >= 0 else 'worse'} than its own question; "
              f"answers the lead with probability {p:.2f}")
    if features["lead_similarity"] < MIN_LEAD_SIMILARITY:
        return result(False, p, f"{where}: it matches the lead question only {features['lead_similarity']:.2f}, "
                                f"so it does not speak to this problem")
    return result(p >= model.min_probability, p, reason)


def _rank(s: ScoredAnswer) -> tuple:
    # Community signals first; the lead's own thread before others on a tie.
    return (-int(s.accepted), -s.score, s.relation != "own", -(s.probability or 1.0), str(s.id))


def score_answers(
    candidates: Sequence[Candidate], *, lead_vector: np.ndarray, relations: Mapping[Hashable, ThreadRelation],
    model: AnswerModel | None = None,
) -> list[ScoredAnswer]:
    """Every candidate whose thread has a relation to the lead: eligible ones first,
    each group ranked by accepted, then score, then the lead's own thread first.

    Preconditions: vectors are unit length; ``relations`` holds the lead's own
    thread as "own". Candidates of threads without a relation are left out: an
    answer from a thread that is not the same problem never reaches the article.
    """
    model = model or AnswerModel.fitted()
    scored = [score_answer(c, lead_vector=lead_vector, relation=relations[c.thread_id], model=model)
              for c in candidates if c.thread_id in relations]
    return sorted(scored, key=lambda s: (not s.eligible, *_rank(s)))


@dataclass(frozen=True, slots=True)
class Placement:
    solution: ScoredAnswer | None
    others: list[ScoredAnswer]
    rejected: list[ScoredAnswer]  # candidates not placed, with why

    @property
    def confident(self) -> bool:
        """A solution is placed and someone besides its author vouched for it."""
        return self.solution is not None and self.solution.confirmed


def place_answers(
    scored: Sequence[ScoredAnswer], *, model: AnswerModel | None = None,
    same_text: Callable[[Hashable, Hashable], bool] | None = None,
) -> Placement:
    """The solution (the first eligible answer of ``score_answers``) and up to
    ``max_others`` other eligible answers in the same order, skipping answers
    ``same_text`` calls copies of one already placed."""
    model = model or AnswerModel.fitted()
    eligible = [s for s in scored if s.eligible]
    rejected = [s for s in scored if not s.eligible]
    if not eligible:
        return Placement(None, [], rejected)
    solution, others = eligible[0], []
    for s in eligible[1:]:
        if same_text and any(same_text(s.id, placed.id) for placed in [solution, *others]):
            rejected.append(s)
        elif len(others) < model.max_others:
            others.append(s)
    return Placement(solution, others, rejected)
