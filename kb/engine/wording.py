"""Words of an answer as the conflict rules read them (pure): stopwords, crude stems, sentences, content words."""
from __future__ import annotations

import re

STOP = frozenset("""a an the and or but if then so to of in on at by for with from as is are was were be been being it
its this that these those there here your you i we they he she my our their me us them do does did not no yes can could
would should will shall may might must have has had just also only very more most much many some any all each every
about into over under than too what which who whom whose when where why how up down out off again further once
around approximately approx roughly nearly almost between least even still like vs versus while past closer last
range c f abv following follow below above""".split())
WORD = re.compile(r"[a-z][a-z0-9'’-]*")


def stem(word: str) -> str:
    """A crude, predictable stem: plural and verb endings off ("holding" → "hold", "seconds" → "second")."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) if s.strip()]


def content(text: str) -> set[str]:
    """Content stems of a text: no stopwords, no words of three letters or less, none of ``GENERIC``."""
    return {stem(w) for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 3 and w not in GENERIC}


# Words too common in answers to tie one answer's claim to another's.
GENERIC = frozenset("""answer question know think like want need make sure good well better best time people
thing things really actually also able using used work works working different other same first""".split())
