"""The demo's knowledge-base step: cluster the questions into article drafts."""
from __future__ import annotations

from django.template.defaultfilters import pluralize

from demo.report import progress_bars
from kb.models import Cluster
from kb.services.clustering import ClusterReport, clusters_rebuild, clusters_update


def demo_cluster(stdout, *, bars_stream=None) -> ClusterReport:
    """Cluster every thread (a full run the first time, then incremental) and print the top of the queue."""
    stdout.write("Clustering threads into article drafts…")
    bars = progress_bars(bars_stream)
    if Cluster.objects.exists():
        report = clusters_update(progress=bars)
    else:
        report = clusters_rebuild(progress=bars)
    bars.close()
    stdout.write(f"  {report.threads} threads → {report.clusters} clusters ({report.created} new, "
                 f"{report.joined} joined, {report.drafted} drafts written)")
    for cluster in Cluster.objects.filter(size__gt=0).order_by("-demand", "-size")[:5]:
        sources = f"{cluster.sources} source{pluralize(cluster.sources)}"
        stdout.write(f"  [{cluster.size:>2} thread{pluralize(cluster.size)}, {sources}] {cluster.label}")
    return report
