"""The demo's search step: build the index over everything loaded and harvested."""
from __future__ import annotations

from django.db.models import Count

from search.models import Document
from search.services.indexing import IndexReport
from search.services.rebuild import index_rebuild


def demo_index(stdout) -> IndexReport:
    """Rebuild the search index and print what is searchable."""
    stdout.write("Building the search index…")
    report = index_rebuild()
    kinds = dict(
        Document.objects.filter(is_active=True).order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    stdout.write(
        f"  search: {report.extra['documents']} documents ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
        f"{report.extra['passages']} passages, {report.embedded} newly embedded, index v{report.version}"
    )
    return report
