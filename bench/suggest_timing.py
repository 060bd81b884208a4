"""Time "Maybe the same problem" on a harvested Stack Exchange dump, as a cluster page would ask for it.

Usage: python bench/suggest_timing.py DUMP_DIR [--singles 50] [--seed 7]

Harvests the dump into a throwaway SQLite database and clusters it as ``bench/eval_clusters.py`` does
(sharing its vector cache), then asks ``kb.suggestion_selectors.cluster_suggestions`` for every problem
cluster and for candidates started for ``--singles`` random questions no cluster holds: once with an
empty cache (the page reads every stored question vector) and once warm. Prints the timings and what
was suggested, with how many suggestions the dump links as duplicates or as related questions.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.eval_clusters import cache_load, cache_save, links, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--singles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    dump = args.dump.resolve()
    with tempfile.TemporaryDirectory(prefix="gleaner-suggest-") as tmp:
        setup_django(Path(tmp))
        from django.core.cache import cache
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from community.models import Thread
        from harvest.services import source_create, source_harvest
        from kb.models import Cluster, ClusterMember
        from kb.services import cluster_start
        from kb.services.clustering import clusters_rebuild
        from kb.suggestion_selectors import cluster_suggestions
        from search.embeddings import get_embedder

        source = source_create(name=dump.name, kind="stackexchange", path=str(dump))
        source_harvest(source=source)
        embedder = get_embedder()
        cache_load(embedder.name)
        clusters_rebuild(embedder=embedder, draft=False)
        cache_save(embedder.name)
        singles = sorted(Thread.objects.filter(cluster_membership__isnull=True).values_list("id", flat=True))
        random.Random(args.seed).shuffle(singles)
        clusters = list(Cluster.objects.all())
        clusters += [cluster_start(editor=None, thread=Thread.objects.get(pk=pk)) for pk in singles[:args.singles]]
        external = dict(Thread.objects.values_list("id", "external_id"))
        dups, related = links(dump)
        dup_pairs = {frozenset(p) for p in dups}
        rel_pairs = {frozenset(p) for p in related}

        cold, warm, shown, linked_dup, linked_rel, with_any = [], [], 0, 0, 0, 0
        for cluster in clusters:
            cache.clear()
            t0 = time.perf_counter()
            rows = cluster_suggestions(cluster=cluster)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            cluster_suggestions(cluster=cluster)
            warm.append(time.perf_counter() - t0)
            with_any += bool(rows)
            for row in rows:
                shown += 1
                pair = frozenset((external[cluster.lead_id], external[row.thread.pk]))
                linked_dup += pair in dup_pairs
                linked_rel += pair in rel_pairs
                print(f"  #{cluster.pk} {cluster.lead.title[:60]!r} ← {row.thread.title[:60]!r}: {row.reason}")

        def ms(values: list[float], q: float) -> str:
            return f"{sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000:.0f} ms"

        print(f"{dump.name}: {Thread.objects.count()} questions, {len(clusters)} clusters asked "
              f"({ClusterMember.objects.count()} members)")
        print(f"cold cache: median {statistics.median(cold) * 1000:.0f} ms, p95 {ms(cold, 0.95)}; "
              f"warm: median {statistics.median(warm) * 1000:.0f} ms, p95 {ms(warm, 0.95)}")
        print(f"{with_any} clusters with a suggestion, {shown} suggestions: {linked_dup} linked as duplicates, "
              f"{linked_rel} as related by the site")


if __name__ == "__main__":
    main()
