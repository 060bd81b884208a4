"""``manage.py reindex``: rebuild the search indexes, or check and repair their drift.

    manage.py reindex            rebuild documents, keyword index and vector index (progress bars)
    manage.py reindex --resplit  same, re-splitting every document into passages
    manage.py reindex --check    report drift between the database and the indexes; exit 1 if any
    manage.py reindex --repair   fix the drift the check reports
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.progress import ProgressBars
from search.engine import ModelUnavailable
from search.services.consistency import index_check, index_repair
from search.services.rebuild import index_rebuild

STAGES = {
    "threads": "threads → documents",
    "embed": "embedding passages",
    "documents": "documents → passages",
    "keyword": "keyword index",
    "vectors": "checking vectors",
    "faiss": "vector index",
}


class Command(BaseCommand):
    help = "Rebuild the search indexes from the database; --check reports drift, --repair fixes it."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="report drift; exit status 1 when there is any")
        mode.add_argument("--repair", action="store_true", help="fix the drift --check reports")
        parser.add_argument("--resplit", action="store_true", help="re-split every document into passages")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **opts):
        if opts["check"]:
            return self._check()
        bars = ProgressBars(self.stderr._out, enabled=not opts["no_progress"], labels=STAGES, unit="")
        try:
            if opts["repair"]:
                drift = index_repair(progress=bars)
                bars.close()
                self._print_drift(drift, after="repair")
                if not drift.ok:
                    raise CommandError("drift remains after repair")
                return
            report = index_rebuild(progress=bars, resplit=opts["resplit"])
        except ModelUnavailable as exc:
            raise CommandError(f"the embedding model is needed for new text but cannot be loaded: {exc}") from exc
        finally:
            bars.close()
        self.stdout.write(self.style.SUCCESS(
            f"Search index v{report.version}: {report.extra['documents']} documents, "
            f"{report.extra['passages']} passages ({report.documents} re-split, {report.embedded} newly embedded)"
        ))

    def _check(self) -> None:
        drift = index_check()
        self._print_drift(drift, after="check")
        if not drift.ok:
            raise CommandError("the search indexes drifted from the database: run `manage.py reindex --repair`")

    def _print_drift(self, drift, *, after: str) -> None:
        if drift.ok:
            self.stdout.write(self.style.SUCCESS(f"Search indexes consistent ({drift.passages} passages)."))
            return
        self.stdout.write(f"Drift found ({after}):")
        for line in drift.lines():
            self.stdout.write(f"  {line}")
