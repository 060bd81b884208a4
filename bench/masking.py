"""Contact masking over real post bodies: how many posts it changes, what it hides, how fast.

Usage: python bench/masking.py ../shared/data [--region US] [--compare OLD_MASKING.py] [--show N]

Reads every post body of the Stack Exchange dumps under the data folder (beer,
cardano, genai), masks them as the harvest store does (after sanitizing), and
prints per dump: posts, posts changed, phone numbers and e-mail addresses hidden,
and microseconds per post. ``--compare`` runs another masking module (a file
defining ``mask_contacts(text)``) on the same bodies for a before/after figure;
``--show`` prints that many hidden phone numbers with their context, to read.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from xml.etree.ElementTree import iterparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from community.rendering import sanitize_html  # noqa: E402
from core import masking  # noqa: E402

DUMPS = ("stackexchange-beer", "stackexchange-cardano", "stackexchange-genai")


def bodies(folder: Path) -> list[str]:
    out = []
    for _, row in iterparse(folder / "Posts.xml"):
        if row.tag == "row" and row.get("Body"):
            out.append(sanitize_html(row.get("Body")))
        row.clear()
    return out


def measure(mask, texts: list[str]) -> tuple[int, int, int, float, list[tuple[str, str]]]:
    changed = phones = emails = 0
    hidden: list[tuple[str, str]] = []
    start = time.perf_counter()
    results = [mask(text) for text in texts]
    seconds = time.perf_counter() - start
    for text, result in zip(texts, results):
        if result != text:
            changed += 1
            phones += result.count("[phone hidden]")
            emails += result.count("[email hidden]")
            if "[phone hidden]" in result:
                hidden.append((text, result))
    return changed, phones, emails, seconds * 1e6 / max(len(texts), 1), hidden


def load(path: str):
    spec = importlib.util.spec_from_file_location("other_masking", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mask_contacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--region", default=None)
    parser.add_argument("--compare")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    current = (lambda text: masking.mask_contacts(text, region=args.region))
    runs = [("current", current)] + ([("compare", load(args.compare))] if args.compare else [])
    for dump in DUMPS:
        folder = args.data / dump
        if not folder.is_dir():
            continue
        texts = bodies(folder)
        for name, mask in runs:
            changed, phones, emails, micros, hidden = measure(mask, texts)
            print(f"{dump:24} {name:8} posts {len(texts):6,}  changed {changed:4}  phones {phones:4}  "
                  f"emails {emails:4}  {micros:7.1f} µs/post")
            for before, after in hidden[: args.show]:
                i = after.find("[phone hidden]")
                print(f"    … {after[max(0, i - 60): i + 40]!r}")


if __name__ == "__main__":
    main()
