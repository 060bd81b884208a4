"""Agent suggestions latency: ``POST /api/agent/suggest`` with 2,000-character transcripts at N documents.

    .venv/bin/python bench/suggest.py [--sizes 100000] [--database-url postgres://…] [--clients 1,8]
                                      [--requests 200] [--data DUMP_DIR] [--real 1000] [--keep DIR]

The same run as ``bench/search.py --endpoint suggest`` (its docstring says how the
throwaway database and the N documents are built; every bench document is an
article, so the suggestions' article filter keeps them all). Transcripts are chat
turns ("Customer: …" / "Agent: …") recombined from the corpus's titles, question
and answer sentences, cut to exactly 2,000 characters; an agent account calls with
its API token. Printed per size: raw cost (embed + FAISS k=10 of the transcript as
the query cleaner leaves it) and API p50/p95 for 1 and 8 concurrent clients.
``--endpoint both`` times ``GET /api/search`` in the same run.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# bench/ is not a package, and the file name "search" would shadow the search app: load it by path.
_spec = importlib.util.spec_from_file_location("bench_search", Path(__file__).with_name("search.py"))
bench_search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_search)

if __name__ == "__main__":
    sys.exit(bench_search.main(endpoint="suggest", sizes="100000"))
