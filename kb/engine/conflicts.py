"""Answers that disagree, or that a newer answer supersedes — on forums of any subject.

``find_conflicts(a, b)`` compares two answers to the same question and returns
evidence notes, each naming both answers and a reason an editor can check in a
minute. Rules (each one narrow on purpose: a false alarm costs the editor's
trust in every other note):

- **yes / no**: for a yes/no question, one answer opens with "Yes" and the
  other with "No".
- **values**: both give a number with the same unit for the same step or claim
  ("hold … 10 seconds" / "hold … 15 seconds"; "the largest … is 21" / "the
  largest … is still 15"), and the numbers are far apart (no overlap, more than
  25 % apart).
- **opposite instructions**: one says to do something ("you should enable
  X", "turn off X") and the other not to ("don't enable X", "never …"), or
  uses the opposite verb (enable/disable, install/uninstall, …) on the same
  object.
- **opposite claims**: one says it is safe / possible / necessary / … and the
  other that it is not, about the same thing.
- **superseded**: at least ``SUPERSEDE_DAYS`` later, the newer answer names
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

SUPERSEDE_DAYS = 90
VALUE_GAP = 1.25  # the larger value must exceed the smaller by this factor…
RECORD_GAP = 1.05  # …or by this one for a record or limit ("the strongest is 57.5%" against "67.5%")

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


_STOP = frozenset("""a an the and or but if then so to of in on at by for with from as is are was were be been being it
its this that these those there here your you i we they he she my our their me us them do does did not no yes can could
would should will shall may might must have has had just also only very more most much many some any all each every
about into over under than too what which who whom whose when where why how up down out off again further once
around approximately approx roughly nearly almost between least even still like vs versus while past closer last
range c f abv following follow below above""".split())
_WORD = re.compile(r"[a-z][a-z0-9'’-]*")


def _stem(word: str) -> str:
    """A crude, predictable stem: plural and verb endings off ("holding" → "hold", "seconds" → "second")."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) if s.strip()]


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


# --- values ------------------------------------------------------------------------------

_UNITS = {
    "second": ("s", "sec", "secs", "second", "seconds"), "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"), "day": ("day", "days"), "week": ("week", "weeks"),
    "month": ("month", "months"), "year": ("year", "years", "yrs"),
    "percent": ("%", "percent", "per cent"), "degree": ("°c", "°f", "°", "degrees", "degree", "c", "f"),
    "millilitre": ("ml", "millilitres", "milliliters"), "litre": ("l", "litre", "litres", "liter", "liters"),
    "ounce": ("oz", "ounce", "ounces"), "gram": ("g", "gram", "grams"), "kilogram": ("kg", "kilos", "kilograms"),
    "megabyte": ("mb", "megabytes"), "gigabyte": ("gb", "gigabytes"), "terabyte": ("tb", "terabytes"),
    "ada": ("ada", "₳"), "lovelace": ("lovelace",), "dollar": ("$", "usd", "dollars"), "euro": ("€", "eur", "euros"),
    "token": ("tokens", "token"), "character": ("characters", "chars"), "time": ("times",),
}
_UNIT_OF = {alias: unit for unit, aliases in _UNITS.items() for alias in aliases}
_NUMBER = r"(\d+(?:[.,]\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:[.,]\d+)?))?"
_QUANTITY = re.compile(
    r"(?<![\w.])" + _NUMBER + r"\s*(" + "|".join(sorted((re.escape(a) for a in _UNIT_OF), key=len, reverse=True))
    + r")(?![\w])", re.IGNORECASE)
_CURRENCY_FIRST = re.compile(r"([$€₳])\s?" + _NUMBER)
# A sentence with one of these states a record or a limit: its values are compared by unit alone, records
# with records ("the strongest beer … 67.5%" / "… 55%"), limits with limits ("around 15% at most" / "up to 25%").
_RECORD = re.compile(r"\b(largest|biggest|highest|strongest|oldest|longest|record|state of the art)\b", re.IGNORECASE)
# In a record sentence a bare number counts too: "the largest … is 21", "the state of the art is still 15".
_BARE = re.compile(r"\b(?:is|was|are|were|remains|stands at|=)\s+(?:still\s+|now\s+|only\s+|just\s+|about\s+|"
                   r"around\s+)*(\d+(?:\.\d+)?)(?![\w%]|\.\d)")
_LIMIT_MAX = re.compile(
    r"\b(maximum|max|limit|upper (?:end|bound|limit)|up to|"
    r"at most|no more than|not more than|(?:can ?not|can't|cannot) (?:get|go|be) (?:more|higher) than|cannot exceed|"
    r"tops? out)\b", re.IGNORECASE)
_LIMIT_MIN = re.compile(r"\b(lowest|smallest|minimum|minimal|min|at least|no less than|not less than)\b",
                        re.IGNORECASE)
def _number(raw: str) -> float:
    return float(raw.replace(",", "") if raw.count(",") and len(raw.split(",")[-1]) == 3 else raw.replace(",", "."))


def _head(before: str) -> str | None:
    """The nearest content word before a value: the step or thing it measures."""
    words = [w for w in _WORD.findall(before.lower()) if w not in _STOP and not w.isdigit()]
    return _stem(words[-1]) if words else None


@dataclass(frozen=True, slots=True)
class Value:
    key: tuple[str, str]  # (unit or superlative, head word)
    low: float
    high: float
    said: str  # the words as written, for the reason
    about: frozenset[str] = frozenset()  # a record's sentence, as content stems: two records must share two


# Steps whose amounts two answers can disagree on ("hold … 10 seconds" / "hold … 15 seconds").
_STEP_VERBS = frozenset("""hold press wait leave keep age store ferment serve chill cool heat boil steep bake cook
set reset restart reboot charge mix stir shake rest let condition lager bottle carbonate""".split())
_HEDGED = re.compile(r"\b(i know|i've (?:had|tried|seen)|i have (?:had|tried|seen)|my favou?rite|i think)\b",
                     re.IGNORECASE)


def _after(rest: str) -> str | None:
    """The thing a quantity measures when named right after it: "8 GB of RAM" → "ram", "25% alcohol" → "alcohol"."""
    m = re.match(r"\s+(?:of\s+)?(?:the\s+|your\s+)?([a-z][\w-]*)", rest.lower())
    return _stem(m.group(1)) if m and m.group(1) not in _STOP else None


def values(text: str) -> list[Value]:
    """Quantities an answer states, keyed so that only like with like is compared:

    - a record ("the strongest beer is … 67.5%", "the largest … is 21"): (unit or "number", "record"),
      compared only with a record whose sentence shares two content words;
    - a limit ("up to 25% alcohol", "at least 10 GB disk space"): (unit, "max/min limit <thing>");
    - an amount for a step ("hold the button for 10 seconds"): (unit, the step's verb).
    Other numbers (examples, asides, lists) are not compared. Values in
    parentheses are skipped; Fahrenheit is read as Celsius. A step the answer
    gives several values for is dropped (a list of cases); for a record or limit
    the answer's first claim counts.
    """
    found = []
    about: frozenset[str] = frozenset()
    for sentence in _sentences(re.sub(r"\([^()]*\)", " ", text)):
        record = _RECORD.search(sentence)
        if record and _HEDGED.search(sentence):
            continue
        if record:
            kind = "record"
            about = frozenset(_content(sentence) - {_stem(w) for w in _WORD.findall(record.group(0).lower())})
            if not _QUANTITY.search(sentence):
                for m in _BARE.finditer(sentence):
                    value = _number(m.group(1))
                    found.append(Value(("number", kind), value, value, m.group(0).strip(), about))
                    break
        else:
            kind = "max limit" if _LIMIT_MAX.search(sentence) else "min limit" if _LIMIT_MIN.search(sentence) else None
        for m in _QUANTITY.finditer(sentence):
            unit = _UNIT_OF[m.group(3).lower()]
            if unit == "degree" and m.group(3).lower() in ("c", "f") and not re.search(r"\d\s*[cf]\b", m.group(0),
                                                                                        re.IGNORECASE):
                continue
            if kind == "record":
                head = kind
            elif kind:
                head = f"{kind} {_after(sentence[m.end():]) or ''}".strip()
            else:
                before = [w for w in _WORD.findall(sentence[max(0, m.start() - 60):m.start()].lower())]
                verbs = [_stem(w) for w in before if _stem(w) in _STEP_VERBS or w in _STEP_VERBS]
                if not verbs:
                    continue
                head = verbs[-1]
            low = _number(m.group(1))
            high = _number(m.group(2)) if m.group(2) else low
            if unit == "degree" and "f" in m.group(3).lower():
                low, high = (low - 32) / 1.8, (high - 32) / 1.8
            found.append(Value((unit, head), low, high, m.group(0).strip(), about if kind == "record" else frozenset()))
    spans: dict[tuple[str, str], set[tuple[float, float]]] = {}
    for v in found:
        spans.setdefault(v.key, set()).add((v.low, v.high))
    kept, claimed = [], set()
    for v in found:
        if " limit" in v.key[1] or v.key[1] == "record":
            if v.key not in claimed:
                claimed.add(v.key)
                kept.append(v)
        elif len(spans[v.key]) == 1:
            kept.append(v)
    return kept


def _apart(a: Value, b: Value) -> bool:
    """No overlap, and far enough apart: any gap for a record or limit (there is one largest), else ``VALUE_GAP``."""
    lo_a, hi_a = sorted((a.low, a.high))
    lo_b, hi_b = sorted((b.low, b.high))
    if hi_a >= lo_b and hi_b >= lo_a:
        return False  # the ranges overlap
    small, large = (hi_a, lo_b) if hi_a < lo_b else (hi_b, lo_a)
    gap = RECORD_GAP if " limit" in a.key[1] or a.key[1] == "record" else VALUE_GAP
    return large > small * gap if small > 0 else large > 0


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
    words = _WORD.findall(phrase.lower())
    if len(words) < 2:
        return None
    verb, rest = words[0], words[1:]
    if rest and rest[0] in ("on", "off", "up", "down", "out", "in", "back"):
        verb, rest = f"{verb} {rest[0]}", rest[1:]
    if verb in _STOP or verb.endswith("ly"):
        return None
    obj = [w for w in rest[:3] if w not in _STOP][:1]
    return (verb, _stem(obj[0])) if obj else None


def instructions(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(advised, warned against) actions of an answer."""
    do, dont = set(), set()
    for sentence in _sentences(text):
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
    for sentence in _sentences(text.lower()):
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


# --- versions and deprecations --------------------------------------------------------------

_VERSIONED = re.compile(r"\b([a-z][\w.+-]{1,30}?)[\s-]?(?:v|version\s*)?(\d+\.\d+(?:\.\d+){0,2})\b", re.IGNORECASE)
_GONE = re.compile(r"\b(deprecated|no longer (?:works?|exists?|available|supported|used)|(?:was|were|been|is|are) "
                   r"(?:removed|renamed|replaced)|replaced (?:by|with)|obsolete|doesn'?t work any ?more|not supported "
                   r"any ?more)\b", re.IGNORECASE)
# A claim about how things stand now, which a later answer may well overtake.
_FOR_NOW = re.compile(r"\b(as of (?:now|today|yet|writing|this writing)|at the moment|currently|right now|for now|"
                      r"not (?:yet|currently)|coming soon|is planned|in the works)\b", re.IGNORECASE)
# …and the claim is that something is missing: not supported, not available, no standard, no way…
_NOT = re.compile(r"\b(there (?:is|are) no|not (?:yet )?(?:supported|available|possible|implemented|released|"
                  r"launched|out)|do(?:es)?n'?t (?:yet )?(?:support|exist)|do(?:es)? not (?:yet )?(?:support|exist)"
                  r"|(?:is|are)n'?t (?:yet )?(?:supported|available|possible|out)|no (?:support|way|standard"
                  r"|implementation|option))\b",
                  re.IGNORECASE)
_CODE = re.compile(r"(?<![\w-])(--[a-z][\w-]+|[A-Za-z_][\w]*(?:[._][A-Za-z_]\w*)+|[a-z]+[A-Z]\w+)(?![\w-])")


def versions(text: str) -> dict[str, tuple[int, ...]]:
    """Named things with a version: "cardano-node 1.29.0" → {"cardano-node": (1, 29, 0)} (highest per name)."""
    found: dict[str, tuple[int, ...]] = {}
    for m in _VERSIONED.finditer(text):
        name = m.group(1).lower().rstrip(".-")
        if name in _STOP or name.isdigit() or len(name) < 2:
            continue
        number = tuple(int(x) for x in m.group(2).split("."))
        found[name] = max(found.get(name, number), number)
    return found


def _content(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 3 and w not in _GENERIC}


# Words too common in answers to tie a claim to a later answer.
_GENERIC = frozenset("""answer question know think like want need make sure good well better best time people
thing things really actually also able using used work works working different other same first""".split())


def _code_names(text: str) -> set[str]:
    return {m.group(1) for m in _CODE.finditer(text)}


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
            if va.key == vb.key and va.key not in seen_keys and related and _apart(va, vb):
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
    notes.extend(_superseded(a, b, supersede_days))
    return notes


def _superseded(a: AnswerText, b: AnswerText, days: int) -> list[Conflict]:
    if a.created is None or b.created is None or abs((b.created - a.created).days) < days:
        return []
    older, newer = (a, b) if a.created < b.created else (b, a)
    notes = []
    old_v, new_v = versions(older.text), versions(newer.text)
    for name in sorted(old_v.keys() & new_v.keys()):
        if new_v[name] > old_v[name]:
            notes.append(Conflict("outdated", (older.id, newer.id), (
                f"mentions {name} {'.'.join(map(str, old_v[name]))}; an answer {(newer.created - older.created).days} "
                f"days newer mentions {'.'.join(map(str, new_v[name]))}")))
    newer_words = _content(newer.text)
    for sentence in _sentences(older.text):
        m = _FOR_NOW.search(sentence)
        shared = sorted(_content(sentence) & newer_words)
        if m and _NOT.search(sentence) and len(shared) >= 2:
            words = list(dict.fromkeys(w for w in _WORD.findall(sentence.lower()) if _stem(w) in shared))
            notes.append(Conflict("outdated", (older.id, newer.id), (
                f"says '{_NOT.search(sentence).group(0)}' ({m.group(0).lower()}) about {', '.join(words[:3])}; an "
                f"answer {(newer.created - older.created).days} days newer speaks of it again")))
            break
    gone = _GONE.search(newer.text)
    if gone:
        shared = sorted(_code_names(older.text) & _code_names(newer.text))
        if shared:
            notes.append(Conflict("outdated", (older.id, newer.id), (
                f"uses {shared[0]}; an answer {(newer.created - older.created).days} days newer says "
                f"'{gone.group(0)}'")))
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
