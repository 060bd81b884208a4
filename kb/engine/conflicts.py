"""Answers that disagree, or that a newer answer supersedes — on forums of any subject.

``find_conflicts(a, b)`` compares two answers to the same question and returns
evidence notes, each naming both answers and a reason an editor can check in a
minute. Rules (each one narrow on purpose: a false alarm costs the editor's
trust in every other note):

- **yes / no**: for a yes/no question, one answer opens with "Yes" and the
  other with "No".
- **values** (``quantities``): both give a number with the same unit for the
  same step, record or limit ("hold … 10 seconds" / "hold … 15 seconds"; "the
  largest … is 21" / "the state of the art is still 15"), and the numbers are
  far apart.
- **opposite instructions**: one says to do something ("you should enable
  X", "turn off X") and the other not to ("don't enable X", "never …"), or
  uses the opposite verb (enable/disable, install/uninstall, …) on the same
  object.
- **opposite claims**: one says it is safe / possible / necessary / … and the
  other that it is not, about the same thing.
- **superseded** (``staleness``): at least ``SUPERSEDE_DAYS`` later, the newer answer names
  a higher version of the same thing ("cardano-node 1.29" → "1.31"), or says
  something the older answer uses is deprecated, removed or renamed, or takes
  up again what the older answer said was missing "yet" / "as of now" /
  "at the moment" ("not supported", "there is no …"; two content words in
  common).

``evidence(...)`` runs them over the answers placed in a draft; a
contradiction where the newer answer is accepted or better voted than the
solution also marks the solution outdated.
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kb.engine.quantities import apart, values
from kb.engine.staleness import superseded
from kb.engine.wording import STOP, WORD, sentences, stem

SUPERSEDE_DAYS = 90

Kind = Literal["contradiction", "outdated"]


@dataclass(frozen=True, slots=True)
class AnswerText:
    id: Hashable
    text: str
    created: datetime | None = None
    score: int = 0
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class Conflict:
    kind: Kind
    answers: tuple[Hashable, Hashable]  # "outdated": (older, newer)
    reason: str


# --- yes / no ----------------------------------------------------------------------------

_YES_NO_QUESTION = re.compile(
    r"^\s*(is|are|was|were|can|could|does|do|did|should|will|would|has|have|may|must|shall)\b", re.IGNORECASE)
_OPENER = re.compile(r"^\W*(yes|yeah|yep|absolutely|definitely|no|nope|not really)\b(?!\s+(one|need|matter|doubt))",
                     re.IGNORECASE)
_MIXED = re.compile(r"^\W*(yes and no|no and yes|yes,? but|it depends|depends)\b", re.IGNORECASE)


def yes_no_question(question: str) -> bool:
    """A title (or question sentence) that asks for yes or no: "Is it safe…", "Can I…", "Does … work?"."""
    return bool(_YES_NO_QUESTION.match(question))


def polarity(text: str) -> str | None:
    """"yes" / "no" when the answer opens with one, "yes and no" when it opens with both (or "it depends"),
    else None."""
    if _MIXED.match(text):
        return "yes and no"
    m = _OPENER.match(text)
    if not m:
        return None
    return "no" if m.group(1).lower() in ("no", "nope", "not really") else "yes"


# --- instructions and claims ------------------------------------------------------------

_OPPOSITE_VERBS = {
    "enable": "disable", "turn on": "turn off", "install": "uninstall", "allow": "block", "connect": "disconnect",
    "increase": "decrease", "raise": "lower", "add": "remove", "open": "close", "upgrade": "downgrade",
    "store upright": "store on its side", "refrigerate": "keep at room temperature", "shake": "not shake",
}
_OPPOSITE = {**_OPPOSITE_VERBS, **{v: k for k, v in _OPPOSITE_VERBS.items()}}
_NEGATED = re.compile(
    r"\b(?:don'?t|do not|never|avoid|shouldn'?t|should not|must not|mustn'?t|no need to|there is no need to|stop)\s+"
    r"(?:to\s+)?(?P<phrase>[a-z][\w' -]*)")
_ADVISED = re.compile(
    r"\b(?:you should|you need to|you must|you have to|make sure (?:to|you)|i recommend(?: that you)?|i'?d "
    r"recommend|always|simply|just|first,?|then)\s+(?P<phrase>[a-z][\w' -]*)")
_CLAIM = re.compile(
    r"\b(?P<subject>it|this|that|they|beer|wine|[a-z]+)\s+(?P<verb>is|are|was|will be|would be|'s|’s)\s+(?P<neg>not\s+|"
    r"never\s+|n't\s+)?(?P<pred>safe|possible|necessary|required|recommended|allowed|legal|harmful|dangerous|"
    r"bad for you|a good idea|worth it|needed)\b")
_CLAIM_NEG = re.compile(r"\b(?P<subject>it|this|that|they|[a-z]+)\s*(?P<verb>isn'?t|aren'?t|wasn'?t|won'?t be)\s+"
                        r"(?P<pred>safe|possible|necessary|required|recommended|allowed|legal|harmful|dangerous|"
                        r"bad for you|a good idea|worth it|needed)\b")
_IMPOSSIBLE = re.compile(r"\b(impossible|unsafe|unnecessary|not possible)\b")


def _action(phrase: str) -> tuple[str, str] | None:
    """(verb, object) from the start of an instruction: "turn off the WPS button" → ("turn off", "wps")."""
    words = WORD.findall(phrase.lower())
    if len(words) < 2:
        return None
    verb, rest = words[0], words[1:]
    if rest and rest[0] in ("on", "off", "up", "down", "out", "in", "back"):
        verb, rest = f"{verb} {rest[0]}", rest[1:]
    if verb in STOP or verb.endswith("ly"):
        return None
    obj = [w for w in rest[:3] if w not in STOP][:1]
    return (verb, stem(obj[0])) if obj else None


def instructions(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(advised, warned against) actions of an answer."""
    do, dont = set(), set()
    for sentence in sentences(text):
        lower = sentence.lower()
        negated = [_action(m.group("phrase")) for m in _NEGATED.finditer(lower)]
        negated = [a for a in negated if a and a[0] in _IMPERATIVE_OK]
        if negated:
            dont.update(negated)
            continue
        # A cue ("you should …") names the instruction; else an imperative sentence opens with its verb.
        m = _ADVISED.search(lower)
        act = _action(m.group("phrase") if m else lower)
        if act and act[0] in _IMPERATIVE_OK:
            do.add(act)
    return do, dont


# Verbs read as an instruction when a sentence starts with them; other first words are usually not commands.
_IMPERATIVE_OK = frozenset("""enable disable turn install uninstall allow block connect disconnect increase decrease
raise lower remove open close upgrade downgrade update reset restart reboot hold press set change switch
unplug plug move delete rename flash clear store serve drink pour chill refrigerate shake stir age drain boil
ferment bottle cork decant buy sell stake delegate send withdraw register mint burn
""".split()) | {"turn on", "turn off", "store upright", "plug in", "switch off", "switch on"}
# Not "use", "try", "add", "keep", "let", "put": said of too many different things to compare.


def claims(text: str) -> dict[str, bool]:
    """Evaluative claims: predicate → asserted (True) or denied (False), when the answer is consistent."""
    said: dict[str, set[bool]] = {}
    for sentence in sentences(text.lower()):
        # Questions, conditions, hedges and futures are not claims; "not unsafe" is a double negative.
        if "?" in sentence or re.search(r"\b(if|whether|unless|will|future|might|may|could|only unsafe|not unsafe|"
                                        r"not impossible|not unnecessary)\b", sentence):
            continue
        for m in _CLAIM.finditer(sentence):
            said.setdefault(m.group("pred"), set()).add(not m.group("neg"))
        for m in _CLAIM_NEG.finditer(sentence):
            said.setdefault(m.group("pred"), set()).add(False)
        for m in _IMPOSSIBLE.finditer(sentence):
            said.setdefault({"impossible": "possible", "not possible": "possible", "unsafe": "safe",
                             "unnecessary": "necessary"}[m.group(1)], set()).add(False)
    return {pred: next(iter(v)) for pred, v in said.items() if len(v) == 1}


# --- comparing two answers ----------------------------------------------------------------

def find_conflicts(a: AnswerText, b: AnswerText, *, question: str = "",
                   supersede_days: int = SUPERSEDE_DAYS) -> list[Conflict]:
    """Evidence notes between two answers to ``question`` (see the module docstring)."""
    notes: list[Conflict] = []
    pair = (a.id, b.id)
    if question and yes_no_question(question):
        pa, pb = polarity(a.text), polarity(b.text)
        if pa and pb and pa != pb:
            notes.append(Conflict("contradiction", pair, f"one answer says {pa}, the other {pb}"))
    seen_keys = set()
    for va in values(a.text):
        for vb in values(b.text):
            related = va.key[1] != "record" or len(va.about & vb.about) >= 2
            if va.key == vb.key and va.key not in seen_keys and related and apart(va, vb):
                seen_keys.add(va.key)
                notes.append(Conflict("contradiction", pair, f"different values: '{va.said}' against '{vb.said}'"))
    a_do, a_dont = instructions(a.text)
    b_do, b_dont = instructions(b.text)
    for verb, obj in sorted((a_do & b_dont) | (b_do & a_dont)):
        notes.append(Conflict("contradiction", pair, f"one answer says to {verb} {obj}, the other not to"))
    for verb, obj in sorted(a_do):
        if (_OPPOSITE.get(verb), obj) in b_do:
            notes.append(Conflict("contradiction", pair, f"one answer says to {verb} {obj}, the other to "
                                                        f"{_OPPOSITE[verb]} {obj}"))
    ca, cb = claims(a.text), claims(b.text)
    for pred in sorted(ca.keys() & cb.keys()):
        if ca[pred] != cb[pred]:
            notes.append(Conflict("contradiction", pair, f"one answer says it is {pred}, the other that it is not"))
    if a.created is not None and b.created is not None and abs((b.created - a.created).days) >= supersede_days:
        older, newer = (a, b) if a.created < b.created else (b, a)
        notes.extend(Conflict("outdated", (older.id, newer.id), reason)
                     for reason in superseded(older.text, newer.text, (newer.created - older.created).days))
    return notes


def evidence(solution: AnswerText | None, others: Sequence[AnswerText], *, question: str = "",
             alternatives: Sequence[AnswerText] = ()) -> list[Conflict]:
    """Notes for a draft: every pair among the solution and the other solutions, plus the solution against
    ``alternatives`` (eligible answers left out of the article). A contradiction with a newer answer that is
    accepted, or better voted than the solution, also marks the solution outdated."""
    placed = ([solution] if solution else []) + list(others)
    notes: list[Conflict] = []
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            notes.extend(find_conflicts(a, b, question=question))
    if solution is not None:
        for b in alternatives:
            notes.extend(find_conflicts(solution, b, question=question))
        for note in [n for n in notes if n.kind == "contradiction" and solution.id in n.answers]:
            other_id = note.answers[1] if note.answers[0] == solution.id else note.answers[0]
            other = next(x for x in [*placed, *alternatives] if x.id == other_id)
            newer = other.created and solution.created and other.created > solution.created
            if newer and (other.accepted or other.score > solution.score):
                notes.append(Conflict("outdated", (solution.id, other.id),
                                      f"a newer, {'accepted' if other.accepted else 'better-voted'} answer disagrees: "
                                      f"{note.reason}"))
    return _unique(notes)


def _unique(notes: list[Conflict]) -> list[Conflict]:
    seen, out = set(), []
    for n in notes:
        key = (n.kind, frozenset(n.answers), n.reason)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out
