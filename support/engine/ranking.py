"""Pure cores of the agent console's suggestions: the query a conversation becomes, the link boost, and
the order they are shown in (by the likelihood shown).

No ORM here: ``support.selectors`` reads the rows and calls these with plain data, so
the rules are testable (and benchmarkable) without a database.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# The search engine's query cleaner keeps at most 512 characters (head and tail, the middle cut
# out). Staying under it means *we* decide what is kept, and the cleaner never cuts mid-way.
QUERY_BUDGET = 480
# Shares of the budget, in order of priority. The customer's latest message usually holds the
# question of the moment, so it goes first and gets the largest share; the subject names the
# overall problem; earlier customer messages add context, newest first; the agent's own words
# come last (they mostly restate or ask), stripped of quoted excerpts and links, which would
# otherwise echo an already inserted article back to the top.
LATEST_SHARE = 240
SUBJECT_SHARE = 120
EARLIER_SHARE = 160
AGENT_SHARE = 120

# The customer's latest message is also searched alone and blended in with at most this weight.
LATEST_WEIGHT_MAX = 0.6

# Link boost: articles that agents linked as "resolved by" on other contacts get a small bonus.
# Search scores are min-max normalised per query (the top is ~1, the tail ~0), so a bonus capped
# at LINK_BOOST_MAX only reorders near-ties among articles that already match this
# conversation; it cannot lift an unrelated article into the list (the boost is applied only to
# what the search returned).
LINK_BOOST_PER_DOUBLING = 0.02
LINK_BOOST_MAX = 0.06

URL = re.compile(r"https?://\S+|/kb/[\w/-]+")


@dataclass(frozen=True, slots=True)
class Message:
    sender: str  # "customer", "agent" or "system"
    body: str


def _cut(text: str, limit: int) -> str:
    """``text`` with whitespace collapsed, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    piece = text[: limit + 1]
    space = piece.rfind(" ")
    return (piece[:space] if space > limit // 2 else piece[:limit]).rstrip(" ,;:")


def _agent_words(body: str) -> str:
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return URL.sub(" ", "\n".join(lines))


def conversation_query(subject: str, messages: Sequence[Message], *, budget: int = QUERY_BUDGET) -> str:
    """The search query for a conversation: latest customer message, subject, earlier ones, agent words.

    Each part is cut to its share (see the module constants) and parts are added while
    the total stays within ``budget``; an empty conversation gives the subject alone.
    """
    customer = [m.body for m in messages if m.sender == "customer" and m.body.strip()]
    agent = [_agent_words(m.body) for m in messages if m.sender == "agent"]
    parts: list[tuple[str, int]] = []
    if customer:
        parts.append((customer[-1], LATEST_SHARE))
    parts.append((subject, SUBJECT_SHARE))
    parts += [(body, EARLIER_SHARE) for body in reversed(customer[:-1])]
    parts += [(body, AGENT_SHARE) for body in reversed(agent)]
    query, used = [], 0
    for text, share in parts:
        piece = _cut(text, min(share, budget - used))
        if len(piece) < 12:  # a few characters of a message add noise, not meaning
            continue
        query.append(piece)
        used += len(piece) + 2
        if used >= budget - 12:
            break
    return "\n".join(query) or _cut(subject, budget)


def latest_customer_message(messages: Sequence[Message]) -> str:
    """The customer's newest message when there were earlier ones (else "": the full query covers it)."""
    customer = [m.body for m in messages if m.sender == "customer" and m.body.strip()]
    return _cut(customer[-1], LATEST_SHARE) if len(customer) > 1 else ""


def draft_words(draft: str) -> str:
    """What of the agent's unsent reply is searched: their own words (no quoted excerpts, no links), cut
    to the latest message's share; "" when too short to mean anything yet."""
    words = _cut(_agent_words(draft), LATEST_SHARE)
    return words if len(words) >= 12 else ""


def opening_query(subject: str, messages: Sequence[Message]) -> str:
    """The subject and the customer's first message, when they wrote more than once (else "").

    Searched alone for relevance only: a conversation that moved on to a second problem reads,
    as one query, like neither, and the article for the first problem would look unlikely.
    """
    customer = [m.body for m in messages if m.sender == "customer" and m.body.strip()]
    if len(customer) < 2:
        return ""
    return "\n".join(part for part in (_cut(subject, SUBJECT_SHARE), _cut(customer[0], LATEST_SHARE)) if part)


def with_best_relevance(items: Sequence[dict], others: Sequence[dict]) -> list[dict]:
    """``items`` (dicts with ``article_id`` and ``relevance``), each with the higher of its relevance and
    the same article's in ``others`` (another query about the same conversation); order kept."""
    best = {item["article_id"]: item["relevance"] for item in others}
    return [{**item, "relevance": max(item["relevance"], best.get(item["article_id"], 0.0))} for item in items]


def latest_weight(latest: str, query: str) -> float:
    """How much the latest-message ranking counts against the whole conversation's: its share of the
    query text, capped at LATEST_WEIGHT_MAX. A short follow-up ("I can't find Advanced") leans on the
    context; a long message about something new carries its own weight."""
    if not latest or not query:
        return 0.0
    return min(LATEST_WEIGHT_MAX, len(latest) / len(query))


def fuse_recent(full: Sequence[dict], latest: Sequence[dict], weight: float) -> list[dict]:
    """Combine the conversation's ranking with the latest message's: ``(1 - weight) · full + weight · latest``.

    Both are lists of dicts with ``article_id`` and ``score`` (min-max normalised per query, so
    comparable); an article missing from one list counts 0 there. The dict kept for an article is
    the one from the ranking that weighs more (its snippet matches what counts most). Its
    ``relevance`` (when the dicts have one) is the higher of the two: an article likely to answer
    the customer's latest message is a confident suggestion even if the whole conversation
    wanders, and the other way round.
    """
    if weight <= 0 or not latest:
        return [dict(item) for item in full]
    scores: dict[int, float] = {}
    chosen: dict[int, dict] = {}
    for items, w in ((full, 1.0 - weight), (latest, weight)):
        for item in items:
            scores[item["article_id"]] = scores.get(item["article_id"], 0.0) + w * item["score"]
    primary, secondary = (latest, full) if weight > 0.5 else (full, latest)
    for item in list(secondary) + list(primary):
        chosen[item["article_id"]] = item
    best: dict[int, float] = {}
    for item in list(full) + list(latest):
        if item.get("relevance") is not None:
            best[item["article_id"]] = max(best.get(item["article_id"], 0.0), item["relevance"])
    result = [{**chosen[i], "score": round(score, 6), **({"relevance": best[i]} if i in best else {})}
              for i, score in scores.items()]
    result.sort(key=lambda item: item["score"], reverse=True)
    return result


def link_boost(links: int) -> float:
    """The bonus for an article linked as "resolved by" on ``links`` other contacts: log-scaled, capped."""
    if links <= 0:
        return 0.0
    return min(LINK_BOOST_MAX, LINK_BOOST_PER_DOUBLING * math.log2(1 + links))


def rerank(suggestions: Iterable[dict], links: Mapping[int, int]) -> list[dict]:
    """Suggestions (dicts with ``article_id`` and ``score``) with the link boost added, best first.

    Each gets ``boost`` (what was added) and ``links`` (the count it came from). The sort is
    stable: equal boosted scores keep the search's order.
    """
    result = []
    for item in suggestions:
        count = int(links.get(item["article_id"], 0))
        boost = link_boost(count)
        result.append({**item, "score": round(item["score"] + boost, 6), "boost": round(boost, 6), "links": count})
    result.sort(key=lambda item: item["score"], reverse=True)
    return result


def likely_percent(relevance: float) -> int:
    """``relevance`` as the whole percentage the sidebar shows ("38% likely")."""
    return int(relevance * 100 + 0.5)


def by_likelihood(suggestions: Iterable[dict]) -> list[dict]:
    """Suggestions (dicts with ``relevance`` and ``score``), most likely to answer first, each with
    ``likely`` (the percentage shown).

    The order is the percentage shown, so a 38% article is never listed under a 33% one: the relevance
    is the best any query about the conversation gave (``fuse_recent``, ``with_best_relevance``), and
    the fused ``score`` only orders one query's results. Between articles shown with the same
    percentage the boosted score decides (``rerank``): the conversation's emphasis and the link boost.
    """
    result = [{**item, "likely": likely_percent(item["relevance"])} for item in suggestions]
    result.sort(key=lambda item: (item["likely"], item["score"]), reverse=True)
    return result
