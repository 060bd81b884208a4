"""``manage.py cluster``: group the questions of every source that ask the same thing into candidate articles.

    manage.py cluster                 place threads not yet in a cluster (a full run when there are no clusters)
    manage.py cluster --full          re-cluster everything, keeping cluster ids and editor decisions
    manage.py cluster --min-size 3
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBars
from kb.models import Cluster
from kb.selectors import thread_ids_unclustered
from kb.services.clustering import clusters_rebuild, clusters_update
from search.engine import ModelUnavailable

STAGES = {"embed": "embedding questions", "cluster": "clustering", "refresh": "updating clusters"}


class Command(BaseCommand):
    help = "Cluster questions into candidate articles and draft an article for each new or changed cluster."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="re-cluster every thread (editor decisions kept)")
        parser.add_argument("--min-size", type=int, default=None, help="smallest cluster kept (default 2)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **opts):
        min_size = opts["min_size"]
        if min_size is not None and min_size < 2:
            raise CommandError("--min-size must be at least 2")
        bars = ProgressBars(self.stderr._out, enabled=not opts["no_progress"], labels=STAGES)
        full = opts["full"] or not Cluster.objects.exists()
        try:
            if full:
                report = clusters_rebuild(min_size=min_size, progress=bars)
            else:
                report = clusters_update(thread_ids=thread_ids_unclustered(), min_size=min_size, progress=bars)
        except ModelUnavailable as exc:
            raise CommandError(f"the embedding model cannot be loaded: {exc}") from exc
        finally:
            bars.close()
        kind = "full run" if full else "incremental run"
        self.stdout.write(self.style.SUCCESS(
            f"Clustering ({kind}): {report.threads} questions, {report.embedded} newly embedded"))
        self.stdout.write(f"  clusters:   {report.clusters}")
        self.stdout.write(f"  candidates: {report.candidates} (without an article)")
        self.stdout.write(f"  new:        {report.created}")
        self.stdout.write(f"  drafted:    {report.drafted}")
        self.stdout.write(f"  joined:     {report.joined}")
        if report.held:
            self.stdout.write(f"  held:       {report.held} (close to a cluster an editor froze)")
        if report.removed:
            self.stdout.write(f"  dissolved:  {report.removed}")
