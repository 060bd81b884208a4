"""Answers that a newer answer supersedes: a higher version, a deprecation, a gap filled since (pure)."""
from __future__ import annotations

import re

from kb.engine.wording import STOP, WORD, content, sentences, stem

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
        if name in STOP or name.isdigit() or len(name) < 2:
            continue
        number = tuple(int(x) for x in m.group(2).split("."))
        found[name] = max(found.get(name, number), number)
    return found


def _code_names(text: str) -> set[str]:
    return {m.group(1) for m in _CODE.finditer(text)}


def superseded(older: str, newer: str, days: int) -> list[str]:
    """Reasons the answer ``older`` is outdated by ``newer``, written ``days`` later (empty when none):
    the newer names a higher version of the same thing, says something the older uses is deprecated,
    removed or renamed, or takes up what the older said was missing "yet" / "as of now" ("not
    supported", "there is no …"; two content words in common). The caller checks the gap in days."""
    reasons = []
    old_v, new_v = versions(older), versions(newer)
    for name in sorted(old_v.keys() & new_v.keys()):
        if new_v[name] > old_v[name]:
            reasons.append(f"mentions {name} {'.'.join(map(str, old_v[name]))}; an answer {days} days newer mentions "
                           f"{'.'.join(map(str, new_v[name]))}")
    newer_words = content(newer)
    for sentence in sentences(older):
        m = _FOR_NOW.search(sentence)
        missing = _NOT.search(sentence)
        shared = sorted(content(sentence) & newer_words)
        if m and missing and len(shared) >= 2:
            words = list(dict.fromkeys(w for w in WORD.findall(sentence.lower()) if stem(w) in shared))
            reasons.append(f"says '{missing.group(0)}' ({m.group(0).lower()}) about {', '.join(words[:3])}; an answer "
                           f"{days} days newer speaks of it again")
            break
    gone = _GONE.search(newer)
    if gone:
        shared = sorted(_code_names(older) & _code_names(newer))
        if shared:
            reasons.append(f"uses {shared[0]}; an answer {days} days newer says '{gone.group(0)}'")
    return reasons
