"""Measure raw embedding throughput and single-query latency on this machine.

    .venv/bin/python bench/encode_throughput.py [--passages 512] [--batch-size 64] [--model NAME]

Passages come from real Stack Exchange answers when the shared data folder is
present (``GLEANER_SHARED_DATA``, default ``../shared/data`` next to the repo),
split exactly as the indexer splits them; otherwise from invented Hearthlink
text of realistic length. Prints passages/s and query latency percentiles.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.engine.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder  # noqa: E402
from search.engine.passages import html_to_text, split_passages  # noqa: E402

QUERIES = [
    "beacon keeps dropping off the mesh",
    "how do I forward a port on the H2 Pro",
    "parental controls schedule not working",
    "firmware update failed red light",
    "guest network password",
]


def real_passages(limit: int, embedder: SentenceTransformerEmbedder) -> list[str]:
    data = Path(os.environ.get("GLEANER_SHARED_DATA") or REPO.parent / "shared" / "data")
    posts_file = data / "stackexchange-beer" / "Posts.xml"
    if not posts_file.exists():
        return []
    from lxml import etree

    passages: list[str] = []
    for _, row in etree.iterparse(str(posts_file), tag="row"):
        title = row.get("Title") or "Answer"
        passages.extend(split_passages(title, html_to_text(row.get("Body", "")), tokenizer_len=embedder.token_len))
        row.clear()
        if len(passages) >= limit:
            break
    return passages[:limit]


def invented_passages(limit: int) -> list[str]:
    sentence = (
        "After the latest firmware update my Beacon satellite drops off the mesh every evening, "
        "the ring turns amber and the Hearthlink app shows the H1 router as the only online node. "
    )
    return [f"Beacon drops off mesh {i}\n" + sentence * 5 for i in range(limit)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: half the cores, 1..4)")
    args = parser.parse_args()

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(args.model, torch_threads=args.threads)
    embedder.encode(["warm up"])
    import torch

    print(f"model load: {time.perf_counter() - started:.1f} s ({embedder.name}, dim {embedder.dim}, "
          f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f})")

    passages = real_passages(args.passages, embedder) or invented_passages(args.passages)
    pieces = [embedder.token_len(p) + 2 for p in passages]
    print(f"passages: {len(passages)}, mean {statistics.mean(pieces):.0f} word pieces")

    started = time.perf_counter()
    embedder.encode(passages, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    print(f"encode: {len(passages) / elapsed:.1f} passages/s (batch {args.batch_size}, {elapsed:.1f} s)")

    latencies = []
    for round_ in range(10):
        for query in QUERIES:
            started = time.perf_counter()
            embedder.encode([f"{query} {round_}"])
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p95 = latencies[int(len(latencies) * 0.95)]
    print(f"query embed: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(latencies)} queries)")


if __name__ == "__main__":
    main()
