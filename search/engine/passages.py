"""Turn posts and articles into embeddable passages.

The embedding model reads at most ``max_tokens`` word pieces and silently drops
the rest, so long answers are split into overlapping passages, each prefixed
with the thread or article title (the title carries most of the topic, and a
passage from the middle of an answer is ambiguous without it).
"""
from __future__ import annotations

import math
import re
from typing import Callable

from bs4 import BeautifulSoup, NavigableString

DEFAULT_MAX_PASSAGES = 16
# Word pieces the model adds itself ([CLS] and [SEP]).
SPECIAL_TOKENS = 2

_WORD_OR_PUNCT = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n")


def estimate_tokens(text: str) -> int:
    """Conservative word-piece count without a tokenizer.

    Punctuation marks are one piece each. Plain words up to four letters are
    one piece, longer ones one per four letters (common words are really one
    piece; the excess is our safety margin). Words mixing digits or case
    (hashes, addresses, model numbers, camelCase) and non-Latin words shred
    into pieces of about one character. Over-counting only makes passages a
    little shorter; under-counting would let the model drop text.
    """
    count = 0
    for piece in _WORD_OR_PUNCT.findall(text):
        if not (piece[0].isalnum() or piece[0] == "_"):
            count += 1
        elif not piece.isascii():
            count += len(piece)
        elif piece.isdigit():
            count += math.ceil(len(piece) / 2)
        elif len(piece) <= 4:
            count += 1
        elif piece.isalpha() and (piece.islower() or piece[1:].islower() or piece.isupper()):
            count += math.ceil(len(piece) / 4)
        else:
            count += len(piece)  # hashes shred into nearly one piece per character
    return count


def _split_words(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Split one over-long sentence into word runs of at most ``limit`` pieces."""
    runs: list[str] = []
    current: list[str] = []
    for word in text.split():
        candidate = " ".join(current + [word])
        if current and measure(candidate) > limit:
            runs.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    if current:
        runs.append(" ".join(current))
    # A single enormous "word" (a base64 blob) can still exceed the limit; cut it.
    out: list[str] = []
    for run in runs:
        while measure(run) > limit and len(run) > 1:
            cut = max(1, len(run) * limit // max(measure(run), 1))
            out.append(run[:cut])
            run = run[cut:]
        out.append(run)
    return out


def _units(body: str, limit: int, measure: Callable[[str], int]) -> list[tuple[str, int, bool]]:
    """Sentences (or word runs of over-long ones), each within ``limit``.

    Sentences rather than paragraphs, so the overlap between passages can carry
    whole sentences. The flag marks the first unit of a paragraph.
    """
    units: list[tuple[str, int, bool]] = []
    for paragraph in _PARAGRAPH.split(body):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        first = True
        for sentence in _SENTENCE_END.split(paragraph):
            size = measure(sentence)
            runs = [(sentence, size)] if size <= limit else [
                (run, measure(run)) for run in _split_words(sentence, limit, measure)
            ]
            for run, run_size in runs:
                units.append((run, run_size, first))
                first = False
    return units


def split_passages(
    title: str,
    body_text: str,
    *,
    tokenizer_len: Callable[[str], int] | None = None,
    max_tokens: int = 256,
    overlap_tokens: int = 32,
    max_passages: int = DEFAULT_MAX_PASSAGES,
) -> list[str]:
    """Split a titled plain text into passages the model reads completely.

    Preconditions: ``body_text`` is plain text (use ``html_to_text`` or
    ``markdown_to_text`` first) with paragraphs separated by blank lines.
    ``tokenizer_len`` counts word pieces *without* special tokens (e.g.
    ``SentenceTransformerEmbedder.token_len``); without it a conservative
    estimate is used. ``max_tokens`` includes the model's two special tokens.

    Each passage is ``title + "\\n" + chunk``. Chunks are packed greedily from
    sentences (word runs for over-long ones), paragraph starts kept as line
    breaks; consecutive chunks share up to ``overlap_tokens`` of trailing
    sentences so an answer split mid-thought is still found. Only the first
    ``max_passages`` chunks are kept: in Q&A the question and the start of an
    answer carry the topic, and indexing a 50-page log would drown the index.
    An empty body yields ``[title]``.
    """
    if max_tokens <= SPECIAL_TOKENS + 8:
        raise ValueError("max_tokens is too small to hold any text")
    measure = tokenizer_len or estimate_tokens
    budget = max_tokens - SPECIAL_TOKENS
    title = " ".join(title.split())
    # The title may take at most a quarter of every passage; longer titles are cut.
    if title and measure(title) + 1 > budget // 4:
        title = _split_words(title, budget // 4 - 1, measure)[0]
    prefix = f"{title}\n" if title else ""
    chunk_budget = budget - (measure(title) + 1 if title else 0)
    overlap_tokens = max(0, min(overlap_tokens, chunk_budget // 2))

    units = _units(body_text, chunk_budget, measure)
    if not units:
        return [title] if title else []

    chunks: list[list[tuple[str, int, bool]]] = []
    current: list[tuple[str, int, bool]] = []
    size = 0
    for unit in units:
        # +1 per sentence: a margin for pieces that only form across the join.
        if current and size + unit[1] + 1 > chunk_budget:
            chunks.append(current)
            if len(chunks) >= max_passages:
                break
            current = _overlap(current, overlap_tokens, chunk_budget - unit[1] - 1)
            size = sum(unit_size + 1 for _, unit_size, _ in current)
        current.append(unit)
        size += unit[1] + 1
    else:
        chunks.append(current)

    passages = [prefix + _join(chunk) for chunk in chunks[:max_passages]]
    if tokenizer_len is not None:
        # Guard against sums of parts under-counting the joined text.
        passages = [p if measure(p) <= budget else _trim(p, budget, measure) for p in passages]
    return passages


def _join(chunk: list[tuple[str, int, bool]]) -> str:
    # Paragraph starts become line breaks: same pieces for the model, readable for people.
    return "".join(("\n" if starts and i else " " if i else "") + text for i, (text, _, starts) in enumerate(chunk))


def _overlap(previous: list[tuple[str, int, bool]], overlap: int, room: int) -> list[tuple[str, int, bool]]:
    """Trailing sentences of the previous chunk that fit in ``overlap`` and ``room``."""
    carried: list[tuple[str, int, bool]] = []
    total = 0
    for unit in reversed(previous):
        if total + unit[1] + 1 > min(overlap, room):
            break
        carried.insert(0, unit)
        total += unit[1] + 1
    if len(carried) == len(previous):
        return carried[1:]  # never repeat a whole chunk
    return carried


def _trim(passage: str, budget: int, measure: Callable[[str], int]) -> str:
    words = passage.split(" ")
    while len(words) > 1 and measure(" ".join(words)) > budget:
        words = words[: max(1, len(words) - max(1, len(words) // 20))]
    return " ".join(words)


# --- markup to text --------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table "
    "tbody thead tfoot tr ul".split()
)
_DROP_TAGS = ("script", "style", "template", "noscript", "iframe", "object", "svg", "head")


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment; code blocks keep their line breaks.

    Block elements become paragraphs (blank lines, which ``split_passages``
    splits on); ``<br>`` and table cells become line breaks / spaces; scripts
    and styles disappear; entities are decoded. The result is plain text, so it
    must be escaped again before being put into a page.
    """
    if not html or not html.strip():
        return ""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for cell in soup.find_all(["td", "th"]):
        cell.append(NavigableString(" "))
    for pre in soup.find_all("pre"):
        # Protect line breaks inside code from the whitespace collapse below.
        pre.insert_before(NavigableString("\n\n"))
        pre.insert_after(NavigableString("\n\n"))
        pre.replace_with(NavigableString(pre.get_text().replace("\n", "\ue000")))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(NavigableString("\n\n"))
        tag.insert_after(NavigableString("\n\n"))
    text = soup.get_text()
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    joined = "\n".join(lines)
    joined = re.sub(r"\n{3,}", "\n\n", joined).strip()
    return joined.replace("\ue000", "\n")


_FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$", re.M)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$", re.M)
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$", re.M)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.M)
# Asterisks and tildes may emphasise inside a word; underscores only at word edges (CommonMark's
# rule), so names such as sam_the_tech or carla_m keep their underscores.
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
_INLINE_CODE = re.compile(r"`+([^`]+)`+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def markdown_to_text(md: str) -> str:
    """Plain text of Markdown (Discourse raw posts, README-style answers).

    Regex-based on purpose: we only need readable text for embedding, not a
    faithful render. Code blocks and inline code keep their text, links keep
    their label, images their alt text; inline HTML tags are dropped.
    """
    if not md or not md.strip():
        return ""
    code_blocks: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        code_blocks.append(match.group(2).rstrip("\n").replace("\n", "\ue000"))
        return f"\n\n\x00{len(code_blocks) - 1}\x00\n\n"

    text = _FENCE.sub(keep_code, md.replace("\r\n", "\n"))
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _REF_DEF.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HEADING.sub(r"\n\1\n", text)
    text = _SETEXT.sub("", text)
    text = _QUOTE.sub("", text)
    text = _LIST.sub("", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: m.group(2) if m.group(1) else m.group(4), text)
    text = _HTML_TAG.sub("", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: code_blocks[int(m.group(1))], text)
    # Markdown joins adjacent lines into one paragraph; keep blank lines as breaks.
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return _tidy("\n\n".join(p for p in paragraphs if p))
