"""Numbers an answer states, keyed so that two answers' values can be compared like with like (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.engine.wording import STOP, WORD, content, sentences, stem

VALUE_GAP = 1.25  # the larger value must exceed the smaller by this factor…
RECORD_GAP = 1.05  # …or by this one for a record or limit ("the strongest is 57.5%" against "67.5%")

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


@dataclass(frozen=True, slots=True)
class Value:
    key: tuple[str, str]  # (unit, or "number" in a record; "record", "max|min limit <thing>" or the step verb)
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
    return stem(m.group(1)) if m and m.group(1) not in STOP else None


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
    for sentence in sentences(re.sub(r"\([^()]*\)", " ", text)):
        record = _RECORD.search(sentence)
        if record and _HEDGED.search(sentence):
            continue
        if record:
            kind = "record"
            about = frozenset(content(sentence) - {stem(w) for w in WORD.findall(record.group(0).lower())})
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
                before = [w for w in WORD.findall(sentence[max(0, m.start() - 60):m.start()].lower())]
                verbs = [stem(w) for w in before if stem(w) in _STEP_VERBS or w in _STEP_VERBS]
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


def apart(a: Value, b: Value) -> bool:
    """No overlap, and far enough apart: any gap for a record or limit (there is one largest), else ``VALUE_GAP``."""
    lo_a, hi_a = sorted((a.low, a.high))
    lo_b, hi_b = sorted((b.low, b.high))
    if hi_a >= lo_b and hi_b >= lo_a:
        return False  # the ranges overlap
    small, large = (hi_a, lo_b) if hi_a < lo_b else (hi_b, lo_a)
    gap = RECORD_GAP if " limit" in a.key[1] or a.key[1] == "record" else VALUE_GAP
    return large > small * gap if small > 0 else large > 0
