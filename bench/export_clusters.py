"""Cluster a Stack Exchange dump with the product's clustering and write CLUSTERS.json for ``bench/draft.py``.

Usage: python bench/export_clusters.py DUMP_DIR [-o CLUSTERS.json] [--level problem|topic] [--no-links]
       [--sample N --seed S]

``problem`` (default): ``kb.engine.problems.problem_clusters``, following the
dump's duplicate links as the product follows harvested ones (``--no-links``:
text alone); each cluster's ``lead`` is the lead the clustering chose.
``topic``: the topic level (``kb.engine.clustering`` defaults), ``lead`` null, so
the draft shows which questions it leaves out. ``--sample N`` keeps N clusters
drawn at random (for reading drafts by hand). Threads carry their
``duplicate_of`` link unless ``--no-links``.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
import trust_data as td  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="folder with Posts.xml (and PostLinks.xml)")
    parser.add_argument("-o", "--output", type=Path, default=None, help="default: standard output")
    parser.add_argument("--level", choices=("problem", "topic"), default="problem")
    parser.add_argument("--no-links", action="store_true", help="ignore the dump's duplicate links")
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    if not (args.dump / "Posts.xml").exists():
        parser.error(f"{args.dump} has no Posts.xml")
    site = td.load_site(args.dump)
    links = not args.no_links
    vectors = td.question_vectors(site.threads)
    if args.level == "problem":
        from kb.engine.problems import problem_clusters

        groups = [(c.lead, c.ids) for c in problem_clusters(td.problem_questions(site.threads, links=links,
                                                                                vectors=vectors))]
    else:
        from kb.engine.clustering.communities import cluster

        groups = [(None, [site.threads[i]["id"] for i in g]) for g in cluster(vectors)]
    if args.sample is not None:
        groups = random.Random(args.seed).sample(groups, min(args.sample, len(groups)))
    by_id = site.by_id()
    out = []
    for n, (lead, ids) in enumerate(groups):
        threads = []
        for tid in ids:
            t = by_id[tid]
            threads.append({"id": t["id"], "title": t["title"], "question": t["question"], "tags": t["tags"],
                            "score": t["score"], "created": t["created"], "answers": t["answers"],
                            **({"duplicate_of": t["closed_as_duplicate_of"]}
                               if links and t.get("closed_as_duplicate_of") else {})})
        out.append({"id": f"{site.name}-{args.level}-{n}", "lead": lead, "threads": threads})
    text = json.dumps(out, indent=1)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"{len(out)} clusters, {sum(len(c['threads']) for c in out)} threads → {args.output}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
