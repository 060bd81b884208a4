"""Turn one cluster of threads into a draft knowledge-base article (pure).

Input: ``ThreadInfo`` records (plain text, not HTML) and their unit vectors.
Output: a ``Draft`` an editor starts from — title, problem, best solution,
other working solutions, title variants, and evidence notes (contradiction /
outdated) that each name two answers and a reason. Every choice is a simple,
documented rule so an editor can see why the draft looks the way it does.
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

# Answers older than this and contradicted by a newer answer are flagged outdated.
OUTDATED_DAYS = 365
PROBLEM_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class AnswerInfo:
    id: Hashable
    text: str
    score: int = 0
    accepted: bool = False
    created: datetime | None = None
    author: str = ""
    url: str = ""
    license: str = ""


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    id: Hashable
    title: str
    question_text: str
    tags: tuple[str, ...] = ()
    source_name: str = ""
    source_trust: float = 1.0  # 0..1; the company's own community ranks above a scraped forum
    created: datetime | None = None
    score: int = 0
    answers: tuple[AnswerInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceNote:
    kind: Literal["contradiction", "outdated"]
    answer_ids: tuple[Hashable, Hashable]  # for "outdated": (old answer, newer answer)
    reason: str


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    problem: str
    title_thread_id: Hashable
    solution_answer_id: Hashable | None
    other_solution_ids: list[Hashable] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    evidence: list[EvidenceNote] = field(default_factory=list)


_TEXT_SPEAK = {"u", "ur", "pls", "plz", "asap", "thx", "wat", "dunno", "halp", "r"}


def clarity_penalty(title: str) -> float:
    """How much worse than its centrality a title reads, 0 for a clean one.

    Rules (additive): fewer than 4 words or 20 characters (+0.10); more than
    20 words or 150 characters (+0.10); mostly capitals (+0.15); "!!" (+0.05);
    more than one "?" (+0.05); typo signs — a letter tripled ("pleeease"), a
    4+-letter word without vowels, text-speak like "pls"/"u" (+0.05 each, at
    most +0.10); no capital at the start (+0.02).
    """
    words = re.findall(r"[A-Za-z0-9']+", title)
    penalty = 0.0
    if len(words) < 4 or len(title) < 20:
        penalty += 0.10
    if len(words) > 20 or len(title) > 150:
        penalty += 0.10
    letters = [c for c in title if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        penalty += 0.15
    if "!!" in title:
        penalty += 0.05
    if title.count("?") > 1:
        penalty += 0.05
    typos = 0
    typos += len(re.findall(r"([a-z])\1\1", title.lower()))
    typos += sum(1 for w in words if len(w) >= 4 and w.isalpha() and not re.search(r"[aeiouy]", w.lower()))
    typos += sum(1 for w in words if w.lower() in _TEXT_SPEAK)
    penalty += min(0.10, 0.05 * typos)
    if title[:1].islower():
        penalty += 0.02
    return penalty


def first_sentences(text: str, count: int = PROBLEM_SENTENCES) -> str:
    """The first ``count`` sentences, whitespace collapsed."""
    flat = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", flat)
    return " ".join(parts[:count])


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norm = np.linalg.norm(v)
    return v / norm if norm else v


# --- Answer checks -----------------------------------------------------------
# Three contradiction rules, each easy to read back to an editor:
#  1. opposite instructions: one answer tells you to do X ("Enable WPS",
#     "you should reset the router") and the other not to ("don't reset the
#     router", "never enable WPS"), or the verb is flipped (enable/disable,
#     turn on/turn off) for the same object;
#  2. menu paths: both give a path (A > B > C) ending in the same item but
#     reaching it differently;
#  3. values: both "set <setting> to <number>" with different numbers.

_ACTION_VERBS = {
    "enable", "disable", "turn", "reset", "restart", "reboot", "update", "upgrade", "downgrade", "install",
    "uninstall", "set", "change", "use", "switch", "unplug", "plug", "remove", "forward", "open", "close",
    "connect", "disconnect", "pair", "unpair", "move", "place", "factory", "power", "delete", "add", "block",
    "allow", "rename", "flash", "roll", "hold", "press", "try", "select", "choose", "run", "clear",
}
_OPPOSITE = {"enable": "disable", "disable": "enable", "turn on": "turn off", "turn off": "turn on",
             "install": "uninstall", "uninstall": "install", "allow": "block", "block": "allow",
             "connect": "disconnect", "disconnect": "connect", "update": "downgrade", "upgrade": "downgrade"}
_PARTICLES = {"on", "off", "up", "down", "back", "over", "in", "out"}
_FILLER = {"the", "a", "an", "your", "my", "its", "this", "that", "it", "any", "all", "both", "to", "of", "just"}
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|never|avoid|shouldn'?t|should not|must not|mustn'?t|no need to|stop)\s+"
    r"(?:to\s+)?(?:\w+ing\s+)?(?P<phrase>[a-z][\w' -]*)"
)
_CUED = re.compile(
    r"\b(?:you should|you need to|you must|you have to|make sure to|make sure you|i recommend you|"
    r"always|simply|just|first,?|then)\s+(?P<phrase>[a-z][\w' -]*)"
)
_PATH_STOP = {"and", "then", "to", "it", "is", "now", "or", "for", "so", "which", "where", "you", "if"}
_PATH = re.compile(r"[A-Za-z][\w&' -]{0,40}(?:\s*(?:>|→|›|->|»)\s*[A-Za-z][\w&' -]{0,40})+")
_SETTING = re.compile(
    r"\bset (?:the |your )?(?P<setting>[a-z][a-z0-9 /-]{1,30}?) (?:to|at) (?P<value>\d+(?:\.\d+)?)"
)
_FIRMWARE = re.compile(r"\b(?:firmware|fw)\s*(?:version\s*|v\.?\s*)?(\d+(?:\.\d+)+)", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) if s.strip()]


def _action_key(phrase: str) -> tuple[str, str] | None:
    """(verb with particle, object) from "turn off the WPS button now" → ("turn off", "wps button")."""
    words = re.findall(r"[a-z0-9][\w'-]*", phrase.lower())
    if not words or words[0] not in _ACTION_VERBS:
        return None
    verb, rest = words[0], words[1:]
    if rest and rest[0] in _PARTICLES:
        verb, rest = f"{verb} {rest[0]}", rest[1:]
    while rest and rest[0] in _FILLER:
        rest = rest[1:]
    obj = []
    for word in rest[:2]:  # the object: up to two words, ending at a linking word
        if word in _FILLER or word in _PATH_STOP or word in _PARTICLES or word in {"with", "from", "at", "by"}:
            break
        obj.append(word)
    return (verb, " ".join(obj)) if obj else None


def _instructions(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Action keys the text recommends and the ones it warns against."""
    do, dont = set(), set()
    for sentence in _sentences(text):
        lower = sentence.lower()
        negated = False
        for m in _NEGATION.finditer(lower):
            key = _action_key(m.group("phrase"))
            if key:
                dont.add(key)
                negated = True
        if negated:
            continue
        # A cue ("you should …") names the instruction; otherwise an imperative
        # sentence starts with the verb itself.
        phrases = [m.group("phrase") for m in _CUED.finditer(lower)] + [lower]
        for phrase in phrases:
            key = _action_key(phrase)
            if key:
                do.add(key)
                break
    return do, dont


def _menu_paths(text: str) -> dict[str, str]:
    """Final menu item → whole normalised path, e.g. "guest network" → "settings > wi-fi > guest network"."""
    paths = {}
    for m in _PATH.finditer(text):
        parts = [p.split() for p in re.split(r"\s*(?:->|>|→|›|»)\s*", m.group(0))]
        if not all(parts):
            continue
        # The text runs into the first and last item ("Go to Settings > … > Guest
        # network and flip it"): keep the last run of capitalised words of the first part and
        # cut the last part at the first connecting word.
        head = parts[0]
        start = len(head) - 1
        while start > 0 and head[start - 1][:1].isupper():
            start -= 1
        head = head[start:]
        tail = parts[-1]
        cut = next((i for i, w in enumerate(tail) if i and w.lower() in _PATH_STOP), len(tail))
        parts[0], parts[-1] = head, tail[:min(cut, 3)]
        norm = [" ".join(p).lower().strip(" '") for p in parts]
        paths[norm[-1]] = " > ".join(norm)
    return paths


def _settings(text: str) -> dict[str, str]:
    return {m.group("setting").strip(): m.group("value") for m in _SETTING.finditer(text.lower())}


def find_contradictions(a: str, b: str) -> list[str]:
    """Reasons two answer texts contradict each other (empty list when none)."""
    reasons = []
    a_do, a_dont = _instructions(a)
    b_do, b_dont = _instructions(b)
    for verb, obj in sorted((a_do & b_dont) | (b_do & a_dont)):
        reasons.append(f"one answer says to {verb} {obj}, the other says not to")
    for verb, obj in sorted(a_do):
        if (_OPPOSITE.get(verb), obj) in b_do:
            reasons.append(f"one answer says to {verb} {obj}, the other to {_OPPOSITE[verb]} it")
    a_paths, b_paths = _menu_paths(a), _menu_paths(b)
    for item in sorted(a_paths.keys() & b_paths.keys()):
        if a_paths[item] != b_paths[item]:
            reasons.append(f"different menu paths to {item}: '{a_paths[item]}' vs '{b_paths[item]}'")
    a_set, b_set = _settings(a), _settings(b)
    for name in sorted(a_set.keys() & b_set.keys()):
        if float(a_set[name]) != float(b_set[name]):
            reasons.append(f"different values for {name}: {a_set[name]} vs {b_set[name]}")
    return reasons


def firmware_version(text: str) -> tuple[int, ...] | None:
    """Highest firmware version mentioned ("firmware 2.4.1" → (2, 4, 1)), or None."""
    versions = [tuple(int(x) for x in m.group(1).split(".")) for m in _FIRMWARE.finditer(text)]
    return max(versions) if versions else None


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def near_duplicate(
    a_text: str, b_text: str, vectors: Mapping[Hashable, np.ndarray] | None, a_id: Hashable, b_id: Hashable
) -> bool:
    """Same answer said twice: vector cosine ≥ 0.95 if both vectors are given, else
    word-trigram Jaccard ≥ 0.6 (copies and light edits, not paraphrases)."""
    if vectors is not None and a_id in vectors and b_id in vectors:
        return float(_unit(vectors[a_id]) @ _unit(vectors[b_id])) >= 0.95
    sa, sb = _shingles(a_text), _shingles(b_text)
    return bool(sa and sb) and len(sa & sb) / len(sa | sb) >= 0.6


def _answer_rank_key(answer: AnswerInfo, trust: float) -> tuple:
    created = answer.created.timestamp() if answer.created else float("-inf")
    return (answer.accepted, answer.score, trust, created)


def _evidence(answers: list[tuple[AnswerInfo, ThreadInfo]], outdated_days: int) -> list[EvidenceNote]:
    """Contradiction and outdated notes over every pair of answers in the cluster."""
    notes: list[EvidenceNote] = []
    for i, (a, _) in enumerate(answers):
        for b, _ in answers[i + 1:]:
            reasons = find_contradictions(a.text, b.text)
            for reason in reasons:
                notes.append(EvidenceNote("contradiction", (a.id, b.id), reason))
            older, newer = (a, b) if (a.created or datetime.min) <= (b.created or datetime.min) else (b, a)
            if older.created is None or newer.created is None or older.created == newer.created:
                continue
            old_v, new_v = firmware_version(older.text), firmware_version(newer.text)
            if old_v and new_v and new_v > old_v:
                notes.append(EvidenceNote(
                    "outdated", (older.id, newer.id),
                    f"mentions firmware {'.'.join(map(str, old_v))}; a newer answer mentions "
                    f"{'.'.join(map(str, new_v))}",
                ))
            elif reasons and (newer.created - older.created).days > outdated_days:
                notes.append(EvidenceNote(
                    "outdated", (older.id, newer.id),
                    f"{(newer.created - older.created).days} days older than an answer that contradicts it",
                ))
    return notes


def draft_from_cluster(
    threads: Sequence[ThreadInfo],
    *,
    vectors: np.ndarray,
    centroid: np.ndarray | None = None,
    answer_vectors: Mapping[Hashable, np.ndarray] | None = None,
    outdated_days: int = OUTDATED_DAYS,
) -> Draft:
    """Build the draft for one cluster.

    Preconditions: ``threads`` is non-empty, ``vectors`` has one unit row per
    thread in the same order, texts are plain text. ``centroid`` defaults to the
    normalised mean row. Rules:
      title — the thread maximising cos(vector, centroid) − ``clarity_penalty``;
      problem — that thread's first sentences (falls back to the title);
      solution — the answer ranked highest by (accepted, score, source trust,
        recency); others — remaining answers with score ≥ 0 that are not near
        duplicates of the solution (``answer_vectors`` cosine ≥ 0.95 when given,
        else word-shingle overlap), in the same order;
      variants — the other distinct titles, most central first;
      evidence — see ``find_contradictions`` and ``_evidence``.
    """
    if not threads:
        raise ValueError("a draft needs at least one thread")
    vecs = np.asarray(vectors, dtype=np.float32).reshape(len(threads), -1)
    centre = _unit(centroid if centroid is not None else vecs.mean(axis=0))
    centrality = vecs @ centre
    quality = [float(c) - clarity_penalty(t.title) for c, t in zip(centrality, threads)]
    best = int(np.argmax(quality))
    lead = threads[best]
    problem = first_sentences(lead.question_text) or lead.title

    ranked = sorted(
        ((a, t) for t in threads for a in t.answers),
        key=lambda pair: _answer_rank_key(pair[0], pair[1].source_trust),
        reverse=True,
    )
    solution = ranked[0][0] if ranked else None
    others: list[AnswerInfo] = []
    for answer, _ in ranked[1:]:
        if answer.score < 0 or solution is None:
            continue
        if near_duplicate(answer.text, solution.text, answer_vectors, answer.id, solution.id):
            continue
        if any(near_duplicate(answer.text, o.text, answer_vectors, answer.id, o.id) for o in others):
            continue
        others.append(answer)

    seen = {lead.title.strip().lower()}
    variants = []
    for idx in np.argsort(-centrality, kind="stable"):
        title = threads[int(idx)].title.strip()
        if title.lower() not in seen:
            seen.add(title.lower())
            variants.append(title)

    return Draft(
        title=lead.title.strip(),
        problem=problem,
        title_thread_id=lead.id,
        solution_answer_id=solution.id if solution else None,
        other_solution_ids=[a.id for a in others],
        variants=variants,
        evidence=_evidence(ranked, outdated_days),
    )
