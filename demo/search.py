"""The demo's search step: build the index over everything loaded and harvested."""
from __future__ import annotations

from django.db.models import Count

from demo.report import plural, progress_bars
from search.models import Document
from search.services.indexing import IndexReport
from search.services.rebuild import index_rebuild


def demo_index(stdout, *, bars_stream=None) -> IndexReport:
    """Rebuild the search index and print what is searchable, in threads and articles."""
    stdout.write("Building the search index (the first time, every thread is embedded)…")
    bars = progress_bars(bars_stream)
    report = index_rebuild(progress=bars)
    bars.close()
    kinds = dict(
        Document.objects.filter(is_active=True).order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    questions, threads = kinds.get(Document.Kind.QUESTION, 0), kinds.get(Document.Kind.THREAD, 0)
    stdout.write(
        f"  searchable: {plural(questions + threads, 'thread')} ({questions} community, {threads} harvested), "
        f"{plural(kinds.get(Document.Kind.ARTICLE, 0), 'article')}; {report.extra['passages']} passages, "
        f"{report.embedded} newly embedded"
    )
    return report
