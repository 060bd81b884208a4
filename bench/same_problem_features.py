"""Same ask or same topic: readable features tried for telling two neighbouring questions apart.

Used by ``bench/fit_same_problem.py`` to test whether a small model over them
separates same-problem pairs from same-topic pairs better than the similarity
rule does. It did not (see docs/drafting.md), so the product does not use them.

Two questions about one tool or subject read alike to the sentence model
("restore a CLI wallet into Daedalus" / "use a Daedalus wallet from the CLI";
"where are the docs?" / "is there an architecture diagram?"). What separates
them is what they *ask*: the kind of question, and the words that carry the
ask. ``pair_features`` measures both next to the similarity and the answer
tests of ``kb.engine.problems``:

- ``similarity``: cosine of "title + question" (as embedded for clustering);
- ``title_similarity``: cosine of the titles alone;
- ``answer_fit``: how much less the lead's best answer matches the question than
  the lead (0 when the lead has no answer); ``own_fit`` the other way round
  (the question's own best answer against the lead; 0 without one);
- ``title_overlap``: the share of the two titles' content words they have in
  common, each word weighted by its rarity (IDF over the titles of the
  collection clustered, ``TitleWords``);
- ``salient_missing``: the rarest content word of one title appears nowhere in
  the other question (title or text): the thing one asks about, which the
  other never names;
- ``ask_differs``: both titles ask a known kind of question (how-to, why,
  what-is, is-it-possible, error, which-to-choose, where-is) and the kinds differ.

Pure: titles, texts and vectors in, numbers and words out.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


FEATURES = ("similarity", "title_similarity", "answer_fit", "own_fit", "title_overlap", "salient_missing",
            "ask_differs")

# Words that carry no ask of their own ("how do I …", "is there …"), left out of the title words.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be been being below between both but by can
cannot could did do does doing don down during each few for from further get gets getting got had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
on once only or other our out over own same she should so some such than that the their them then there these
they this those through to too under until up very was way we were what when where which while who whom why
will with would you your yours ve ll re s t d m use using used possible anyone someone something anything
want need know like make one also still even much many well work works working new way ways please help
question questions thanks best good better
""".split())

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")

# The kind of question a title asks, first match wins (an error report often also says "how to fix").
ASK_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("error", re.compile(r"\b(error|errors|exception|fail|fails|failed|failing|failure|crash\w*|cannot|can'?t|"
                         r"unable|not working|doesn'?t work|won'?t|isn'?t working|stuck|broken|invalid|"
                         r"refused|denied|timeout|timed out|not found|missing)\b")),
    ("why", re.compile(r"^\s*why\b|\bwhy (is|are|do|does|did|would|should|can|isn|doesn|don)\b")),
    ("which", re.compile(r"\b(which|best|recommend\w*|should i (use|choose|pick|buy)|vs\.?|versus|"
                         r"difference|differences|compare\w*|better)\b")),
    ("where", re.compile(r"^\s*where\b|\b(where (can|do|is|are)|find (the )?(docs?|documentation|source|"
                         r"list)|documentation|docs)\b")),
    ("possible", re.compile(r"\b(is it possible|possible to|can i|can you|can we|can one|is there (a|any) way|"
                            r"able to)\b")),
    ("what", re.compile(r"^\s*(what('s| is| are| does| do)|meaning of|definition of)\b|\bwhat (is|are) (a|an|the)\b")),
    ("how", re.compile(r"\bhow\b|\b(way to|steps to|guide)\b")),
)


def ask_kind(title: str) -> str | None:
    """The kind of question a title asks, or None when it reads as none of ``ASK_KINDS``."""
    text = title.lower()
    for kind, pattern in ASK_KINDS:
        if pattern.search(text):
            return kind
    return None


ASK_WORDS = {"error": "about an error", "why": "why", "which": "which to choose", "where": "where to find",
             "possible": "whether it is possible", "what": "what it is", "how": "how to"}


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and not w.isdigit()}


class TitleWords:
    """Rarity of title words over a collection of titles (IDF), so common subject words weigh little."""

    def __init__(self, titles: Iterable[str]):
        df: Counter[str] = Counter()
        n = 0
        for title in titles:
            n += 1
            df.update(content_words(title))
        self.n = n
        self.df = df

    def idf(self, word: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(word, 0))) + 1.0


@dataclass(frozen=True, slots=True)
class PairFeatures:
    similarity: float
    title_similarity: float
    answer_fit: float
    own_fit: float
    title_overlap: float
    salient_missing: float
    ask_differs: float
    # for the reason an editor reads
    lead_kind: str | None = None
    kind: str | None = None
    missing_word: str | None = None

    def vector(self) -> list[float]:
        return [float(getattr(self, f)) for f in FEATURES]


def title_features(lead_title: str, lead_text: str, title: str, text: str,
                   words: TitleWords) -> tuple[float, str | None, str | None, str | None]:
    """(IDF-weighted title overlap, the rarest title word one side lacks entirely or None, both ask kinds)."""
    a, b = content_words(lead_title), content_words(title)
    weight = lambda ws: sum(words.idf(w) for w in ws)  # noqa: E731
    union = weight(a | b)
    overlap = weight(a & b) / union if union else 0.0
    missing = None
    for own, other_text in ((a, text), (b, lead_text)):
        if not own:
            continue
        rarest = max(sorted(own), key=words.idf)
        if rarest not in content_words(other_text) and (missing is None or words.idf(rarest) > words.idf(missing)):
            missing = rarest
    return overlap, missing, ask_kind(lead_title), ask_kind(title)


def pair_features(*, similarity: float, title_similarity: float, answer_fit: float | None, own_fit: float | None,
                  lead_title: str, lead_text: str, title: str, text: str, words: TitleWords) -> PairFeatures:
    """The features of one lead → question pair. ``lead_text`` / ``text``: title + question text."""
    overlap, missing, lead_kind, kind = title_features(lead_title, lead_text, title, text, words)
    differs = float(lead_kind is not None and kind is not None and lead_kind != kind)
    return PairFeatures(similarity, title_similarity, answer_fit or 0.0, own_fit or 0.0, overlap,
                        float(missing is not None), differs, lead_kind, kind, missing)


def describe(f: PairFeatures) -> str:
    """The features in an editor's words, e.g. "titles share 0.62 of their words, both ask how to"."""
    parts = [f"titles share {f.title_overlap:.2f} of their words"]
    if f.lead_kind and f.lead_kind == f.kind:
        parts.append(f"both ask {ASK_WORDS[f.kind]}")
    elif f.ask_differs:
        parts.append(f"it asks {ASK_WORDS[f.kind]} where the lead asks {ASK_WORDS[f.lead_kind]}")
    if f.missing_word:
        parts.append(f"“{f.missing_word}” is named by one only")
    return ", ".join(parts)
